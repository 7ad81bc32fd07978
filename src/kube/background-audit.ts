/**
 * serve's background audit (--audit-interval): what `audit --write-reports` does, every interval, on the leader
 * replica only. The running pods are judged against the policies in force with every DryRun raised to Enforce; the
 * results replace the guard's PolicyReports and go into each DistrolessPolicy's status (auditTimestamp,
 * totalViolations and the first violations, which `kubectl get dgp` shows). Image facts come from serve's own
 * inspector and its digest cache: a pod is judged by the digest it runs, so a steady cluster costs no registry
 * request after the first cycle.
 */
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { asEnforced } from '../policy/as-enforced.js';
import { POLICY_GROUP, POLICY_PLURAL, POLICY_VERSION, STATUS_VIOLATIONS_LIMIT } from '../policy/crd.js';
import { PolicyStore } from '../policy/store.js';
import { RULE_NAMES, type DistrolessPolicy } from '../policy/types.js';
import { auditPods } from '../report/audit-pods.js';
import { auditReport, type AuditSummary } from '../report/audit-report.js';
import { policyAuditStatuses, type PolicyAuditStatus } from '../report/audit-status.js';
import { policyReports } from '../report/render-policy-reports.js';
import { sharedFacts } from '../report/shared-facts.js';
import type { FactsSource } from '../review/facts-source.js';
import { staticNamespaces } from '../review/namespace-directory.js';
import { abortable } from '../shared/abortable.js';
import { describeKubeError, kubeErrorCode } from './api-error.js';
import { readClusterState } from './cluster-state.js';
import { replacePolicyReports, type PolicyReportWrites } from './policy-report-writer.js';

export interface BackgroundAuditOptions {
  readonly kubeConfig: KubeConfig;
  /** Between the end of one cycle and the start of the next. */
  readonly intervalMs: number;
  /** The first cycle (default: the interval, at most 30 s: a new leader reports soon). */
  readonly firstDelayMs?: number;
  readonly isLeader: () => boolean;
  /** The policy documents in force (PolicyStore.documents()). */
  readonly documents: () => readonly DistrolessPolicy[];
  readonly guardNamespace: string;
  /** serve's facts source: its inspector, with the pods' pull secrets. */
  readonly facts: FactsSource;
  /** Whether images are inspected at all (serve --offline: no). */
  readonly offline: boolean;
  readonly logger: Logger;
  /** Images inspected at once (default 4). */
  readonly concurrency?: number;
  /** One cycle gives up after this (default 10 minutes). */
  readonly timeoutMs?: number;
  readonly onCycle?: (cycle: AuditCycle) => void;
}

export type AuditCycle =
  | { readonly kind: 'skipped'; readonly reason: string }
  | {
      readonly kind: 'done';
      readonly summary: AuditSummary;
      /** Undefined when they could not be written (the reason is in `problems`). */
      readonly reports: PolicyReportWrites | undefined;
      /** The policies whose status was written. */
      readonly statuses: readonly string[];
      readonly problems: readonly string[];
      readonly durationMs: number;
    }
  | { readonly kind: 'error'; readonly error: string };

export interface BackgroundAudit {
  /** One cycle now (tests; the schedule goes on). */
  runOnce(): Promise<AuditCycle>;
  stop(): Promise<void>;
}

export function startBackgroundAudit(options: BackgroundAuditOptions): BackgroundAudit {
  const log = options.logger.child({ component: 'audit' });
  const statusWriter = kubeAuditStatusWriter(options.kubeConfig);
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let cycle: Promise<AuditCycle> | undefined;
  const abort = new AbortController();

  async function run(): Promise<AuditCycle> {
    if (!options.isLeader()) return { kind: 'skipped', reason: 'not the leader' };
    const started = performance.now();
    const signal = AbortSignal.any([abort.signal, AbortSignal.timeout(options.timeoutMs ?? 600_000)]);
    const documents = options.documents();
    const store = new PolicyStore({ guardNamespace: options.guardNamespace });
    store.loadObjects(documents.map(asEnforced));
    const policies = store.current();
    const cluster = await readClusterState(options.kubeConfig, { policies: false }, signal);
    const facts = sharedFacts(options.facts, { concurrency: options.concurrency ?? 4, perPullCredentials: true });
    const pods = await auditPods(cluster.pods, cluster.owners, { policies: () => policies, namespaces: staticNamespaces(cluster.namespaces), facts: facts.source }, signal);
    const tally = facts.tally();
    const report = auditReport(pods, { generatedAt: new Date(), policies: policies.map((p) => p.name), images: tally.images, digests: tally.digests });
    // Leadership may have moved while judging: only the leader writes.
    if (!options.isLeader()) return { kind: 'skipped', reason: 'no longer the leader' };

    const problems: string[] = [];
    const byName = new Map(policies.map((p) => [p.name, p]));
    let reports: PolicyReportWrites | undefined;
    try {
      const activeRules = (name: string) => RULE_NAMES.filter((rule) => (byName.get(name)?.actionOf(rule) ?? 'Disabled') !== 'Disabled');
      reports = await replacePolicyReports(options.kubeConfig, policyReports(report, { activeRules, now: new Date(report.generatedAt), offline: options.offline }), signal);
    } catch (err) {
      problems.push(err instanceof Error ? err.message : String(err));
    }
    const statuses: string[] = [];
    for (const [name, status] of policyAuditStatuses(report, policies.map((p) => p.name), STATUS_VIOLATIONS_LIMIT)) {
      const written = await statusWriter(name, status, signal).catch((err: unknown) => {
        problems.push(`cannot write the status of DistrolessPolicy ${name}: ${describeKubeError(err)}`);
        return false;
      });
      if (written) statuses.push(name);
    }
    return { kind: 'done', summary: report.summary, reports, statuses, problems, durationMs: Math.round(performance.now() - started) };
  }

  const runOnce = async (): Promise<AuditCycle> => {
    while (cycle !== undefined) await cycle.catch(() => undefined);
    cycle = run().catch((err: unknown): AuditCycle => ({ kind: 'error', error: err instanceof Error ? err.message : String(err) }));
    const result = await cycle;
    cycle = undefined;
    logCycle(result);
    options.onCycle?.(result);
    return result;
  };

  function logCycle(result: AuditCycle): void {
    switch (result.kind) {
      case 'skipped':
        log.debug({ reason: result.reason }, 'background audit skipped');
        return;
      case 'done': {
        const { summary, reports, statuses, problems, durationMs } = result;
        const fields = { pods: summary.pods, workloads: summary.workloads, denied: summary.denied, images: summary.images, statuses: statuses.length, durationMs };
        const written = reports ? { reportsCreated: reports.created.length, reportsReplaced: reports.replaced.length, reportsDeleted: reports.deleted.length } : {};
        if (problems.length > 0) log.warn({ ...fields, ...written, problems }, 'background audit done, with problems');
        else log.info({ ...fields, ...written }, 'background audit done');
        return;
      }
      case 'error':
        log.error({ error: result.error }, 'background audit failed');
        return;
    }
  }

  const schedule = (delayMs: number): void => {
    if (stopped) return;
    timer = setTimeout(() => void runOnce().then(() => schedule(options.intervalMs)), delayMs);
    timer.unref();
  };
  schedule(options.firstDelayMs ?? Math.min(options.intervalMs, 30_000));

  return {
    runOnce,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      abort.abort(new Error('serve is stopping'));
      await cycle?.catch(() => undefined);
    },
  };
}

/**
 * A merge patch of the status subresource with the audit's fields only (RBAC: distrolesspolicies/status patch):
 * the Ready condition, written by the policy sync, is left as it is. A policy that is not a cluster object (serve
 * --policy FILE) has no status to write: false.
 */
function kubeAuditStatusWriter(kubeConfig: KubeConfig): (name: string, status: PolicyAuditStatus, signal: AbortSignal) => Promise<boolean> {
  const api = kubeConfig.makeApiClient(CustomObjectsApi);
  const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
  return async (name, status, signal) => {
    try {
      await abortable(api.patchClusterCustomObjectStatus({ group: POLICY_GROUP, version: POLICY_VERSION, plural: POLICY_PLURAL, name, body: { status } }, mergePatch), signal);
      return true;
    } catch (err) {
      if (kubeErrorCode(err) === 404) return false;
      throw err;
    }
  };
}
