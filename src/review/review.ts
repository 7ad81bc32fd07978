import type { AdmissionRequest } from '../admission/request.js';
import { allowVerdict, type Verdict } from '../admission/verdict.js';
import { lastResortVerdict, verdictOf } from '../decision/combine-findings.js';
import type { Finding } from '../decision/finding.js';
import { declarationsFor, injectedFrom, type Declaration } from '../decision/init-containers.js';
import { imagesToInspect, planMutation, prepareMutation } from '../decision/mutation.js';
import { optOutExemption, optOutWarnings } from '../decision/opt-out-exemption.js';
import { staleTagNotes } from '../decision/stale-tags.js';
import type { CompiledPolicy, PodScope } from '../policy/compile.js';
import { RULE_NAMES, type RuleName } from '../policy/types.js';
import { RULES } from '../rules/index.js';
import type { FactsResult, RuleContext } from '../rules/types.js';
import { optOutRequestOf, type OptOutRequest } from '../workload/opt-out-annotations.js';
import { effectiveSecurity } from '../workload/security-context.js';
import { podTargetOf, type ContainerTarget, type PodTarget } from '../workload/targets.js';
import { NOT_INSPECTED, type FactsSource } from './facts-source.js';
import type { NamespaceDirectory } from './namespace-directory.js';

export interface ReviewDependencies {
  /** The policies in force now (read per admission, so a reload applies to the next request). */
  readonly policies: () => readonly CompiledPolicy[];
  readonly namespaces: NamespaceDirectory;
  readonly facts: FactsSource;
  /** Distinct images one review may inspect (default 64); a pod naming more gets none inspected: failurePolicy decides. */
  readonly maxImages?: number;
}

export const DEFAULT_MAX_IMAGES = 64;

export interface ReviewResult {
  readonly verdict: Verdict;
  /** Why nothing was judged, when so (logged). */
  readonly skipped?: string;
  readonly findings: readonly Finding[];
  /**
   * validate: the rules that could not answer because the image was not inspected (`--offline`), as NotChecked
   * findings. Kept apart from `findings`: check and audit report them, the webhook neither logs nor annotates them.
   */
  readonly notChecked?: readonly Finding[];
  /** validate: the policies that judged at least one container (none: no policy covers this pod). */
  readonly policies?: readonly string[];
}

/**
 * The validating webhook: every rule of every matching policy on every container to judge. `signal` is the work
 * deadline; `deadline` (epoch ms), when known, is when it fires (registry retries that cannot finish are skipped).
 * A malformed pod spec rejects with WorkloadShapeError.
 */
export async function validate(request: AdmissionRequest, deps: ReviewDependencies, signal: AbortSignal, deadline?: number): Promise<ReviewResult> {
  const prepared = await prepare(request, deps, signal);
  if (prepared.kind === 'skip') return { verdict: allowVerdict(), skipped: prepared.reason, findings: [] };
  const { target, scope, policies } = prepared;
  // Which policies judge each container: decided once per container, used for facts, rules and the summary.
  const judging = target.containers.map((container) => ({ container, policies: policies.filter((p) => p.appliesTo(scope, container.image).matched) }));
  const images = judging.filter((j) => j.policies.some(usesFacts)).map((j) => j.container.image);
  return judgeAll(prepared, judging, await factsFor(images, target, scope, deps, signal, deadline));
}

interface Judging {
  readonly container: ContainerTarget;
  readonly policies: readonly CompiledPolicy[];
}

/** Every container's judges, on what is known of its image: the findings and the verdict. */
function judgeAll({ target, scope, policies }: Ready, judging: readonly Judging[], facts: ReadonlyMap<string, FactsResult>): ReviewResult {
  const declarations = declarationsFor(target, scope, policies);
  const optOut = optOutRequestOf(target.podAnnotations);
  const findings: Finding[] = [];
  for (const { container, policies: judges } of judging) {
    if (judges.length === 0) continue;
    const security = effectiveSecurity(target.spec, container.container);
    const known = facts.get(container.image) ?? NOT_INSPECTED;
    const injected = injectedFrom(container, declarations);
    for (const policy of judges) {
      const context: RuleContext = { container, spec: target.spec, security, facts: known, production: policy.isProduction(scope.namespace) };
      judge(findings, policy, context, injected, optOut);
    }
  }
  const matched = policies.filter((p) => judging.some((j) => j.policies.includes(p)));
  const stale = staleTagNotes(facts);
  const warnings = [...optOutWarnings(matched, optOut), ...stale.warnings];
  const judged = findings.filter((f) => f.outcome.kind !== 'not-checked');
  const notChecked = findings.filter((f) => f.outcome.kind === 'not-checked');
  const verdict = verdictOf(judged, { warnings, auditAnnotations: stale.auditAnnotations });
  return { verdict, findings: judged, ...(notChecked.length > 0 ? { notChecked } : {}), policies: matched.map((p) => p.name) };
}

/**
 * The mutating webhook: the patch the Enforce policies ask for (hardening, runAsUser from the image, read-only root
 * with writable directories, digest pinning, init containers), and as warnings what the DryRun ones would add.
 */
export async function mutate(request: AdmissionRequest, deps: ReviewDependencies, signal: AbortSignal, deadline?: number): Promise<ReviewResult> {
  const prepared = await prepare(request, deps, signal);
  if (prepared.kind === 'skip') return { verdict: allowVerdict(), skipped: prepared.reason, findings: [] };
  if (!prepared.target.patchable) return { verdict: allowVerdict(), skipped: 'a Pod spec cannot be changed after creation', findings: [] };
  const mutation = prepareMutation(prepared);
  const facts = await factsFor(imagesToInspect(mutation), prepared.target, prepared.scope, deps, signal, deadline);
  const { operations, warnings } = planMutation(mutation, (image) => facts.get(image) ?? NOT_INSPECTED);
  const stale = staleTagNotes(facts);
  return { verdict: verdictOf([], { warnings: [...warnings, ...stale.warnings], patch: operations, auditAnnotations: stale.auditAnnotations }), findings: [] };
}

interface Ready {
  readonly kind: 'ready';
  readonly target: PodTarget;
  readonly scope: PodScope;
  readonly policies: readonly CompiledPolicy[];
}

type Prepared = { readonly kind: 'skip'; readonly reason: string } | Ready;

async function prepare(request: AdmissionRequest, deps: ReviewDependencies, signal: AbortSignal): Promise<Prepared> {
  const targets = podTargetOf(request);
  if (targets.kind === 'skip') return targets;
  const { target } = targets;
  if (target.containers.length === 0) return { kind: 'skip', reason: 'no new or changed container' };
  const namespace = await deps.namespaces.lookup(request.namespace, signal);
  const scope: PodScope = { namespace, serviceAccount: target.spec.serviceAccountName || 'default' };
  return { kind: 'ready', target, scope, policies: deps.policies() };
}

/**
 * Inspects each distinct image once, concurrently, with what the kubelet would pull it with. A pod naming more
 * distinct images than `maxImages` gets none inspected (each is unavailable, with the reason): a review must not
 * be a way to make the guard fetch thousands of images.
 */
async function factsFor(
  images: readonly string[],
  target: PodTarget,
  scope: PodScope,
  deps: ReviewDependencies,
  signal: AbortSignal,
  deadline: number | undefined,
): Promise<ReadonlyMap<string, FactsResult>> {
  const distinct = [...new Set(images)].filter((image) => image !== '');
  const maxImages = deps.maxImages ?? DEFAULT_MAX_IMAGES;
  if (distinct.length > maxImages) {
    const reason = `the pod names ${distinct.length} distinct images, more than the ${maxImages} the guard inspects in one review`;
    return new Map(distinct.map((image) => [image, { kind: 'unavailable', reason }]));
  }
  const imagePullSecrets = (target.spec.imagePullSecrets ?? []).map((s) => s.name ?? '').filter((name) => name !== '');
  const { name: namespace } = scope.namespace;
  const { serviceAccount } = scope;
  const results = await Promise.all(distinct.map((image) => deps.facts({ image, namespace, serviceAccount, imagePullSecrets }, signal, deadline)));
  return new Map(results.map((result, i) => [distinct[i] ?? '', result]));
}

const factsUsers = new WeakMap<CompiledPolicy, boolean>();

/** Whether any active rule of the policy may need image facts (compiled policies are immutable: asked once each). */
function usesFacts(policy: CompiledPolicy): boolean {
  let uses = factsUsers.get(policy);
  if (uses === undefined) factsUsers.set(policy, (uses = RULE_NAMES.some((rule) => RULES[rule].usesFacts && policy.actionOf(rule) !== 'Disabled')));
  return uses;
}

/** Every active rule of one policy that matches the container, on that container: its findings added to `findings`. */
function judge(
  findings: Finding[],
  policy: CompiledPolicy,
  context: RuleContext,
  injected: Declaration | undefined,
  optOut: OptOutRequest | undefined,
): void {
  const { container } = context;
  for (const ruleName of RULE_NAMES) {
    const action = policy.actionOf(ruleName);
    if (action === 'Disabled') continue;
    const result = RULES[ruleName].evaluate(context);
    if (result.kind === 'pass' || result.kind === 'not-applicable') continue;
    const message = result.kind === 'violation' ? result.message : result.kind === 'not-checked' ? result.reason : `could not inspect image: ${result.reason}`;
    const exception = policy.exceptionFor(ruleName, container.image) ?? injectedExemption(ruleName, injected) ?? optOutExemption(policy, ruleName, optOut);
    const base = { policy: policy.name, rule: ruleName, container: { kind: container.kind, name: container.name, image: container.image } };
    if (exception) findings.push({ ...base, outcome: { kind: 'exempt', reason: exception.reason, message } });
    else if (result.kind === 'violation') findings.push({ ...base, outcome: { kind: 'violation', action, message, fix: result.fix } });
    else if (result.kind === 'not-checked') findings.push({ ...base, outcome: { kind: 'not-checked', message } });
    else if (policy.failurePolicy === 'Ignore') findings.push({ ...base, outcome: { kind: 'ignored-failure', message } });
    else findings.push({ ...base, outcome: { kind: 'violation', action, message, fix: 'make the registry reachable, or exempt the image' } });
  }
}

/**
 * An init container a policy injects is there to run a shell: exempt from noShell. It runs as root only when its
 * declaration says allowRoot; every other rule judges it like any container.
 */
function injectedExemption(rule: RuleName, injected: Declaration | undefined): { readonly reason: string } | undefined {
  if (injected === undefined) return undefined;
  if (rule === 'noShell') return { reason: `init container injected by policy ${injected.policy.name} for set-up that needs a shell` };
  if (rule === 'nonRoot' && injected.init.allowRoot) return { reason: `allowRoot for the init container injected by policy ${injected.policy.name}` };
  return undefined;
}

/** The answer to a review still running at the webhook's deadline (`timeoutMs`): the policies' failurePolicy's. */
export function lastResortReview(deps: ReviewDependencies, timeoutMs: number): ReviewResult {
  return { verdict: lastResortVerdict(deps.policies(), timeoutMs), skipped: 'deadline', findings: [] };
}
