/**
 * The result of `check`: per object, what admission would decide, which rules it violates and the patch the
 * mutating webhook would apply. This shape is the `--format json` output, documented in docs/cli.md and held to
 * schemas/check-report.schema.json by a test: change both together, and only compatibly.
 */
import type { AdmissionRequest } from '../admission/request.js';
import { outcomeLabel, type Decision } from '../decision/combine-findings.js';
import type { Finding } from '../decision/finding.js';
import { RULE_NAMES, type RuleName } from '../policy/types.js';
import type { JsonPatchOperation } from '../shared/json-patch.js';
import { portableYaml } from '../shared/portable-yaml.js';
import { podTargetOf, type ContainerKind } from '../workload/targets.js';
import type { AdmissionEvaluation } from './evaluate.js';
import type { ManifestObject } from './manifests.js';
import { unifiedDiff } from './text-diff.js';

export const CHECK_REPORT_API_VERSION = 'distroless-guard.io/v1alpha1';

export type Outcome = ReturnType<typeof outcomeLabel>;

export interface Position {
  readonly line: number;
  readonly column: number;
}

export interface ReportFinding {
  readonly policy: string;
  readonly rule: RuleName;
  /**
   * Enforce: denies; DryRun: a warning; Exempt: excepted (reason says why); NotChecked: the answer needs image facts
   * that were not had (facts unavailable under failurePolicy Ignore, or `--offline`): never a denial.
   */
  readonly outcome: Outcome;
  readonly container: { readonly kind: ContainerKind; readonly name: string; readonly image: string };
  readonly message: string;
  readonly fix?: string;
  readonly reason?: string;
}

export interface CheckedFinding extends ReportFinding {
  /** Where the container's image (or the container) is written, when it is in the file. */
  readonly position?: Position;
}

export interface CheckedObject {
  readonly source: { readonly file: string; readonly line: number; readonly column: number; readonly document: number; readonly item?: number };
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly decision: Decision | 'skipped';
  readonly skipped?: string;
  /** The message kubectl would show after "admission webhook ... denied the request:". */
  readonly denial?: string;
  /** What kubectl would print as "Warning: ...", the mutating webhook's first. */
  readonly warnings: readonly string[];
  readonly findings: readonly CheckedFinding[];
  /** The RFC 6902 patch the mutating webhook would apply ([] when none). */
  readonly patch: readonly JsonPatchOperation[];
  /** The same patch as a unified diff of the object's YAML ("" when none). */
  readonly diff: string;
}

export interface CheckSummary {
  readonly objects: number;
  readonly allowed: number;
  readonly allowedWithWarnings: number;
  readonly denied: number;
  readonly skipped: number;
  /** Distinct images inspected, by digest; one that could not be inspected counts once (0 with --offline). */
  readonly images: number;
}

export interface CheckReport {
  readonly apiVersion: typeof CHECK_REPORT_API_VERSION;
  readonly kind: 'CheckReport';
  readonly summary: CheckSummary;
  readonly objects: readonly CheckedObject[];
}

export function reportFinding(finding: Finding): ReportFinding {
  const { outcome } = finding;
  const base = { policy: finding.policy, rule: finding.rule, outcome: outcomeLabel(finding), container: { ...finding.container } };
  switch (outcome.kind) {
    case 'violation':
      return { ...base, message: outcome.message, fix: outcome.fix };
    case 'exempt':
      return { ...base, message: outcome.message, reason: outcome.reason };
    case 'ignored-failure':
    case 'not-checked':
      return { ...base, message: outcome.message };
  }
}

/** One object's entry: its place in the input, the webhooks' answers, the patch as operations and as a diff. */
export function checkedObject(manifest: ManifestObject, request: AdmissionRequest, evaluation: AdmissionEvaluation): CheckedObject {
  const { location } = manifest;
  const where = containerPositions(manifest, request);
  const label = `${request.kind.kind} ${request.namespace}/${request.name}`;
  const patch = evaluation.mutation.verdict.patch;
  const diff =
    patch.length === 0
      ? ''
      : unifiedDiff(toYaml(request.object), toYaml(evaluation.mutated), { before: `${label} (as written)`, after: `${label} (as the mutating webhook would patch it)` });
  const denial = evaluation.validation.verdict.denial?.message;
  return {
    source: { file: location.file, line: location.line, column: location.column, document: manifest.document, ...(manifest.item === undefined ? {} : { item: manifest.item }) },
    apiVersion: typeof manifest.object['apiVersion'] === 'string' ? manifest.object['apiVersion'] : '',
    kind: request.kind.kind,
    namespace: request.namespace,
    name: request.name,
    decision: evaluation.decision,
    ...(evaluation.skipped === undefined ? {} : { skipped: evaluation.skipped }),
    ...(denial === undefined ? {} : { denial }),
    warnings: evaluation.warnings,
    findings: inReviewOrder([...evaluation.validation.findings, ...(evaluation.validation.notChecked ?? [])]).map((f) => {
      const position = where.get(containerKey(f.container.kind, f.container.name));
      return { ...reportFinding(f), ...(position ? { position } : {}) };
    }),
    patch,
    diff,
  };
}

export function checkReport(objects: readonly CheckedObject[], images: number): CheckReport {
  const count = (decision: CheckedObject['decision']): number => objects.filter((o) => o.decision === decision).length;
  return {
    apiVersion: CHECK_REPORT_API_VERSION,
    kind: 'CheckReport',
    summary: {
      objects: objects.length,
      allowed: count('allowed'),
      allowedWithWarnings: count('allowed-with-warnings'),
      denied: count('denied'),
      skipped: count('skipped'),
      images,
    },
    objects,
  };
}

/** Findings as the review met them: by container, then policy, then rule (the not-checked ones were kept apart). */
export function inReviewOrder(findings: readonly Finding[]): Finding[] {
  const first = <T>(key: (f: Finding) => T): Map<T, number> => {
    const order = new Map<T, number>();
    for (const f of findings) if (!order.has(key(f))) order.set(key(f), order.size);
    return order;
  };
  const containers = first((f) => `${f.container.kind}/${f.container.name}`);
  const policies = first((f) => f.policy);
  const rank = (f: Finding): number[] => [containers.get(`${f.container.kind}/${f.container.name}`) ?? 0, policies.get(f.policy) ?? 0, RULE_NAMES.indexOf(f.rule)];
  return [...findings].sort((a, b) => {
    const [x, y] = [rank(a), rank(b)];
    return (x[0] ?? 0) - (y[0] ?? 0) || (x[1] ?? 0) - (y[1] ?? 0) || (x[2] ?? 0) - (y[2] ?? 0);
  });
}

/** Where each container's image is written in the input (else the container itself). */
function containerPositions(manifest: ManifestObject, request: AdmissionRequest): Map<string, Position> {
  const positions = new Map<string, Position>();
  const targets = podTargetOf(request);
  if (targets.kind === 'skip') return positions;
  for (const container of targets.target.containers) {
    const at = manifest.locate([...container.path, 'image']) ?? manifest.locate(container.path);
    if (at) positions.set(containerKey(container.kind, container.name), { line: at.line, column: at.column });
  }
  return positions;
}

const containerKey = (kind: ContainerKind, name: string): string => `${kind}/${name}`;

/** As kubectl would read it back: a string YAML 1.1 would misread is quoted, so the diff shows what applies. */
function toYaml(value: unknown): string {
  return portableYaml(value);
}
