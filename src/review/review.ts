import type { AdmissionRequest } from '../admission/request.js';
import { allowVerdict, type Verdict } from '../admission/verdict.js';
import type { Finding } from '../decision/finding.js';
import { planHardening } from '../decision/harden.js';
import { verdictOf, warning } from '../decision/verdict.js';
import type { CompiledPolicy, PodScope } from '../policy/compile.js';
import { RULE_NAMES } from '../policy/types.js';
import { RULES } from '../rules/index.js';
import type { FactsResult, RuleContext } from '../rules/types.js';
import type { JsonPatchOperation } from '../shared/json-patch.js';
import { effectiveSecurity } from '../workload/security-context.js';
import { podTargetOf, type ContainerTarget, type PodTarget } from '../workload/targets.js';
import type { FactsSource } from './facts-source.js';
import type { NamespaceDirectory } from './namespaces.js';

export interface ReviewDependencies {
  /** The policies in force now (read per admission, so a reload applies to the next request). */
  readonly policies: () => readonly CompiledPolicy[];
  readonly namespaces: NamespaceDirectory;
  readonly facts: FactsSource;
}

export interface ReviewResult {
  readonly verdict: Verdict;
  /** Why nothing was judged, when so (logged). */
  readonly skipped?: string;
  readonly findings: readonly Finding[];
}

/** The validating webhook: every rule of every matching policy on every container to judge. */
export async function validate(request: AdmissionRequest, deps: ReviewDependencies, signal: AbortSignal): Promise<ReviewResult> {
  const prepared = await prepare(request, deps, signal);
  if (prepared.kind === 'skip') return { verdict: allowVerdict(), skipped: prepared.reason, findings: [] };
  const { target, scope, policies } = prepared;
  const facts = await factsFor(target, policies, scope, deps.facts, signal);
  const findings = target.containers.flatMap((container) =>
    policies.flatMap((policy) => judge(policy, container, target, scope, facts.get(container.image) ?? NOT_INSPECTED)),
  );
  return { verdict: verdictOf(findings), findings };
}

/** The mutating webhook: hardening patches where a matching policy asks for them (or warnings in DryRun). */
export async function mutate(request: AdmissionRequest, deps: ReviewDependencies, signal: AbortSignal): Promise<ReviewResult> {
  const prepared = await prepare(request, deps, signal);
  if (prepared.kind === 'skip') return { verdict: allowVerdict(), skipped: prepared.reason, findings: [] };
  const { target, scope, policies } = prepared;
  if (!target.patchable) return { verdict: allowVerdict(), skipped: 'a Pod spec cannot be changed after creation', findings: [] };
  const operations: JsonPatchOperation[] = [];
  const warnings: string[] = [];
  for (const container of target.containers) {
    const applying = policies.filter((p) => p.appliesTo(scope, container.image).matched && p.mutate.securityContext && p.mutate.action !== 'Off');
    if (applying.length === 0) continue;
    const enforce = applying.some((p) => p.mutate.action === 'Enforce');
    const plan = planHardening(target.spec, container);
    if (plan.changes.length > 0) {
      if (enforce) operations.push(...plan.operations);
      else warnings.push(warning('DryRun: mutate would harden', container, plan.changes.join(', ')));
    }
    for (const conflict of plan.conflicts) warnings.push(warning('kept', container, conflict));
  }
  return { verdict: verdictOf([], { warnings, patch: operations }), findings: [] };
}

type Prepared =
  | { readonly kind: 'skip'; readonly reason: string }
  | { readonly kind: 'ready'; readonly target: PodTarget; readonly scope: PodScope; readonly policies: readonly CompiledPolicy[] };

async function prepare(request: AdmissionRequest, deps: ReviewDependencies, signal: AbortSignal): Promise<Prepared> {
  const targets = podTargetOf(request);
  if (targets.kind === 'skip') return targets;
  const { target } = targets;
  if (target.containers.length === 0) return { kind: 'skip', reason: 'no new or changed container' };
  const namespace = await deps.namespaces.lookup(request.namespace, signal);
  const scope: PodScope = { namespace, serviceAccount: target.spec.serviceAccountName || 'default' };
  return { kind: 'ready', target, scope, policies: deps.policies() };
}

const NOT_INSPECTED: FactsResult = { kind: 'not-inspected' };

/** Inspects each distinct image once, concurrently, and only when an active rule of a matching policy uses facts. */
async function factsFor(
  target: PodTarget,
  policies: readonly CompiledPolicy[],
  scope: PodScope,
  source: FactsSource,
  signal: AbortSignal,
): Promise<Map<string, FactsResult>> {
  const images = new Set(
    target.containers
      .filter((c) => c.image !== '' && policies.some((p) => p.appliesTo(scope, c.image).matched && usesFacts(p)))
      .map((c) => c.image),
  );
  const imagePullSecrets = (target.spec.imagePullSecrets ?? []).map((s) => s.name ?? '').filter((name) => name !== '');
  const request = { namespace: scope.namespace.name, serviceAccount: scope.serviceAccount, imagePullSecrets };
  const entries = await Promise.all([...images].map(async (image) => [image, await source({ ...request, image }, signal)] as const));
  return new Map(entries);
}

function usesFacts(policy: CompiledPolicy): boolean {
  return RULE_NAMES.some((rule) => RULES[rule].usesFacts && policy.actionOf(rule) !== 'Off');
}

function judge(policy: CompiledPolicy, container: ContainerTarget, target: PodTarget, scope: PodScope, facts: FactsResult): Finding[] {
  if (!policy.appliesTo(scope, container.image).matched) return [];
  const context: RuleContext = {
    container,
    spec: target.spec,
    security: effectiveSecurity(target.spec, container.container),
    production: policy.isProduction(scope.namespace),
    facts,
  };
  const identity = { kind: container.kind, name: container.name, image: container.image };
  const findings: Finding[] = [];
  for (const ruleName of RULE_NAMES) {
    const action = policy.actionOf(ruleName);
    if (action === 'Off') continue;
    const result = RULES[ruleName].evaluate(context);
    if (result.kind === 'pass' || result.kind === 'not-applicable') continue;
    const message = result.kind === 'violation' ? result.message : `could not inspect image: ${result.reason}`;
    const exception = policy.exceptionFor(ruleName, container.image);
    const base = { policy: policy.name, rule: ruleName, container: identity };
    if (exception) findings.push({ ...base, outcome: { kind: 'exempt', reason: exception.reason, message } });
    else if (result.kind === 'violation') findings.push({ ...base, outcome: { kind: 'violation', action, message, fix: result.fix } });
    else if (policy.failurePolicy === 'Ignore') findings.push({ ...base, outcome: { kind: 'ignored-failure', message } });
    else findings.push({ ...base, outcome: { kind: 'violation', action, message, fix: 'make the registry reachable, or exempt the image' } });
  }
  return findings;
}
