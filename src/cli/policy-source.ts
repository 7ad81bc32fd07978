import { readFile } from 'node:fs/promises';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { syncPoliciesFromCluster } from '../kube/policy-sync.js';
import type { Metrics } from '../observe/metrics.js';
import type { Readiness } from '../observe/readiness.js';
import { DEFAULT_POLICY_YAML } from '../policy/default-policy.js';
import { watchTextFile } from '../policy/file-watch.js';
import { PolicyLoadError } from '../policy/load.js';
import type { LoadOutcome, PolicyStore } from '../policy/store.js';

export interface PolicySourceOptions {
  readonly store: PolicyStore;
  /** --policy FILE (a ConfigMap mount in-cluster); wins over the cluster's DistrolessPolicy objects. */
  readonly path: string | undefined;
  /** API server access: DistrolessPolicy objects are watched when no file is given. */
  readonly kubeConfig: KubeConfig | undefined;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly readiness: Readiness;
  /** How often the policy file is re-read. */
  readonly reloadIntervalMs: number;
  /** Leader election (status writes): the guard's namespace and this replica's name. */
  readonly namespace: string;
  readonly identity: string;
}

export interface PolicySource {
  /** "file", "cluster" or "embedded default", for the start-up log line. */
  readonly kind: string;
  /** With the cluster source: whether this replica holds the Lease (it writes status; serve's background audit runs there). */
  readonly isLeader?: () => boolean;
  stop(): Promise<void>;
}

/**
 * Where policies come from, in order: --policy FILE (re-read every reloadInterval; a bad edit keeps the last good
 * file), else the cluster's DistrolessPolicy objects (watched; status written by the leader), else the embedded
 * default. A file that is bad at start-up stops the server (PolicyLoadError); a cluster source instead keeps the
 * replica not ready until the first list has loaded.
 */
export async function startPolicySource(options: PolicySourceOptions): Promise<PolicySource> {
  const { store, logger, metrics, readiness } = options;
  const log = logger.child({ component: 'policies' });
  const counted = (outcome: LoadOutcome): LoadOutcome => {
    metrics.policyReloads.inc({ result: outcome.ok ? 'success' : 'error' });
    // Once per change in force, not per watch event (status writes are watch events too).
    if (outcome.changed) for (const state of outcome.states) if (state.warnings) log.warn({ policy: state.name, warnings: state.warnings }, 'policy in force with a deprecated spelling');
    return outcome;
  };

  if (options.path !== undefined) {
    const path = options.path;
    const text = await readFile(path, 'utf8').catch((err: unknown) => {
      const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : 'unreadable';
      throw new PolicyLoadError(`${path}: cannot read policy file (${code})`, { cause: err });
    });
    const first = counted(store.loadText(text, path));
    if (!first.ok) throw new PolicyLoadError(first.error ?? `${path}: invalid`);
    readiness.register('policies', 'not loaded').ready();
    log.info({ policies: first.states.map((s) => s.name), source: path }, 'policies loaded');
    const watch = watchTextFile(path, {
      intervalMs: options.reloadIntervalMs,
      initial: text,
      onChange(next) {
        const outcome = counted(store.loadText(next, path));
        if (outcome.ok) log.info({ policies: outcome.states.map((s) => s.name), source: path }, 'policies reloaded');
        else log.error({ error: outcome.error, source: path }, 'policy file rejected: the last good policies stay in force');
      },
      onError: (err) => {
        // Counted like a rejected edit: an alert on reload errors must also see a file that vanished.
        metrics.policyReloads.inc({ result: 'error' });
        log.error({ error: err instanceof Error ? err.message : String(err), source: path }, 'cannot read the policy file: the last good policies stay in force');
      },
    });
    return { kind: 'file', stop: async () => watch.stop() };
  }

  if (options.kubeConfig !== undefined) {
    const check = readiness.register('policies', 'DistrolessPolicy objects not listed yet');
    const sync = syncPoliciesFromCluster(options.kubeConfig, {
      store,
      logger,
      namespace: options.namespace,
      identity: options.identity,
      onLoad: (outcome) => void counted(outcome),
    });
    void sync.watch.firstSync.then(() => check.ready());
    return { kind: 'cluster', isLeader: () => sync.election.isLeader(), stop: () => sync.stop() };
  }

  const outcome = counted(store.loadText(DEFAULT_POLICY_YAML, 'embedded default policy'));
  if (!outcome.ok) throw new PolicyLoadError(outcome.error ?? 'embedded default policy is invalid');
  readiness.register('policies', 'not loaded').ready();
  log.info({ policies: outcome.states.map((s) => s.name), source: 'embedded default' }, 'policies loaded');
  return { kind: 'embedded default', stop: async () => undefined };
}
