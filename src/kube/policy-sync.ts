import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { LoadOutcome, PolicyStore } from '../policy/store.js';
import { startLeaderElection, type LeaderElection } from './leader.js';
import { kubeStatusWriter, type StatusWriter } from './policy-status.js';
import { watchPolicies } from './policy-watch.js';
import type { WatchedCollection } from './watch-collection.js';

/** The Lease the Role in manifests/base/rbac.yaml lets the guard get and update (by resourceName). */
export const DEFAULT_LEASE_NAME = 'distroless-guard';

export interface PolicySyncOptions {
  readonly store: PolicyStore;
  readonly logger: Logger;
  /** Counts every load by result (success, error). */
  readonly onLoad?: (outcome: LoadOutcome) => void;
  /** Leader election for status writes: the guard's namespace and this replica's name. */
  readonly namespace: string;
  readonly identity: string;
  readonly leaseName?: string;
  readonly leaseDurationMs?: number;
  readonly retryPeriodMs?: number;
  /** Tests can give their own writer. */
  readonly statusWriter?: StatusWriter;
}

export interface PolicySync {
  readonly watch: WatchedCollection<KubernetesObject>;
  readonly election: LeaderElection;
  /** Resolves when the last status write started by a change has finished (for tests). */
  settled(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * DistrolessPolicy objects → the policy store, within a watch event of a change. Every replica loads every policy;
 * only the elected leader writes `status` (observedGeneration and the Ready condition), so replicas never fight
 * over it.
 */
export function syncPoliciesFromCluster(kubeConfig: KubeConfig, options: PolicySyncOptions): PolicySync {
  const log = options.logger.child({ component: 'policies' });
  const writer = options.statusWriter ?? kubeStatusWriter(kubeConfig, (name, err) => log.warn({ policy: name, err: describe(err) }, 'cannot write policy status'));
  let lastObjects: readonly KubernetesObject[] = [];
  let lastOutcome: LoadOutcome | undefined;
  let writing: Promise<void> = Promise.resolve();

  const writeStatus = (): void => {
    if (!election.isLeader() || !lastOutcome) return;
    const [states, objects] = [lastOutcome.states, lastObjects];
    writing = writing.then(() => writer.write(states, objects)).catch((err: unknown) => log.warn({ err: describe(err) }, 'cannot write policy status'));
  };

  const watch = watchPolicies(
    kubeConfig,
    (objects) => {
      lastObjects = objects;
      const outcome = options.store.loadObjects(objects);
      lastOutcome = outcome;
      options.onLoad?.(outcome);
      if (!outcome.ok) log.error({ error: outcome.error }, 'a DistrolessPolicy was rejected: its last good generation stays in force');
      if (outcome.changed) log.info({ policies: outcome.states.map((s) => ({ name: s.name, generation: s.generation, ready: s.ready })) }, 'policies loaded');
      writeStatus();
    },
    (err) => log.warn({ err: describe(err) }, 'DistrolessPolicy watch failed; retrying'),
  );

  const election = startLeaderElection(kubeConfig, {
    namespace: options.namespace,
    leaseName: options.leaseName ?? DEFAULT_LEASE_NAME,
    identity: options.identity,
    ...(options.leaseDurationMs === undefined ? {} : { leaseDurationMs: options.leaseDurationMs }),
    ...(options.retryPeriodMs === undefined ? {} : { retryPeriodMs: options.retryPeriodMs }),
    onStartedLeading: () => {
      log.info({ identity: options.identity }, 'leading: this replica writes DistrolessPolicy status');
      writeStatus();
    },
    onStoppedLeading: () => log.info({ identity: options.identity }, 'no longer leading'),
    onError: (err) => log.warn({ err: describe(err) }, 'leader election: cannot read or write the Lease'),
  });

  return {
    watch,
    election,
    settled: () => writing,
    async stop() {
      await watch.stop();
      await election.stop();
      await writing;
    },
  };
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
