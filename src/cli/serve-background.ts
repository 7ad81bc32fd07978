/**
 * What `serve` does besides answering reviews, when it can reach the API server: Kubernetes Events for denials and
 * DryRun violations (on unless --no-events) and the background audit (--audit-interval, off by default), both off
 * the admissions' path.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { AdmissionRequest } from '../admission/request.js';
import { admissionEvents } from '../kube/admission-events.js';
import { describeKubeError } from '../kube/api-error.js';
import { startBackgroundAudit, type BackgroundAudit } from '../kube/background-audit.js';
import { createEventRecorder, kubeEventSink, type EventRecorder } from '../kube/event-recorder.js';
import { DEFAULT_LEASE_NAME } from '../kube/policy-sync.js';
import { startLeaderElection, type LeaderElection } from '../kube/leader.js';
import type { Metrics } from '../observe/metrics.js';
import type { PolicyStore } from '../policy/store.js';
import type { FactsSource } from '../review/facts-source.js';
import type { ReviewResult } from '../review/review.js';

export interface ServeBackgroundOptions {
  readonly kubeConfig: KubeConfig;
  readonly events: boolean;
  /** 0: no background audit. */
  readonly auditIntervalMs: number;
  readonly store: PolicyStore;
  /** The policy source's leader election, when it runs one (the cluster source). */
  readonly isLeader: (() => boolean) | undefined;
  readonly facts: FactsSource;
  readonly offline: boolean;
  /** The guard's namespace (its Lease) and this replica's name. */
  readonly namespace: string;
  readonly identity: string;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

export interface ServeBackground {
  /** For createApp: the validated reviews' Events (undefined with --no-events). */
  readonly onValidated: ((request: AdmissionRequest, result: ReviewResult) => void) | undefined;
  stop(): Promise<void>;
}

export function startServeBackground(options: ServeBackgroundOptions): ServeBackground {
  const { logger, metrics } = options;
  let recorder: EventRecorder | undefined;
  if (options.events) {
    const log = logger.child({ component: 'events' });
    const results = metrics.counter({
      name: 'distroless_guard_events_total',
      help: 'Kubernetes Events for denials and DryRun violations, by result (created, patched, skipped by the spam filter, dropped with the queue full, error)',
      labelNames: ['result'],
    });
    recorder = createEventRecorder({
      sink: kubeEventSink(options.kubeConfig),
      component: 'distroless-guard',
      instance: options.identity,
      onResult: (result, error) => {
        results.inc({ result });
        if (error !== undefined) log.warn({ error: describeKubeError(error) }, 'cannot write an Event');
      },
    });
  }

  let audit: BackgroundAudit | undefined;
  let election: LeaderElection | undefined;
  if (options.auditIntervalMs > 0) {
    // A policy file (no cluster source) runs no election of its own: the audit campaigns for the same Lease.
    let isLeader = options.isLeader;
    if (isLeader === undefined) {
      const started = startLeaderElection(options.kubeConfig, {
        namespace: options.namespace,
        leaseName: DEFAULT_LEASE_NAME,
        identity: options.identity,
        onError: (err) => logger.warn({ error: describeKubeError(err) }, 'leader election: cannot read or write the Lease'),
      });
      election = started;
      isLeader = () => started.isLeader();
    }
    const cycles = metrics.counter({ name: 'distroless_guard_background_audits_total', help: 'Background audit cycles on the leader, by result (success, error)', labelNames: ['result'] });
    const lastSuccess = metrics.gauge({ name: 'distroless_guard_background_audit_last_success_timestamp_seconds', help: 'When the last background audit cycle finished (Unix seconds)' });
    audit = startBackgroundAudit({
      kubeConfig: options.kubeConfig,
      intervalMs: options.auditIntervalMs,
      isLeader,
      documents: () => options.store.documents(),
      guardNamespace: options.namespace,
      facts: options.facts,
      offline: options.offline,
      logger,
      onCycle: (cycle) => {
        if (cycle.kind === 'skipped') return;
        cycles.inc({ result: cycle.kind === 'done' ? 'success' : 'error' });
        if (cycle.kind === 'done') lastSuccess.set(Date.now() / 1000);
      },
    });
  }

  const events = recorder;
  return {
    onValidated: events ? (request, result) => events.record(admissionEvents(request, result)) : undefined,
    async stop() {
      await Promise.all([audit?.stop(), election?.stop(), events?.stop()]);
    },
  };
}
