/**
 * Writes the admissions' Events as client-go's EventBroadcaster does, never on an admission's path: `record` only
 * appends to a bounded queue (client-go's holds 1000 and drops when full, so does this, counted), and one worker
 * correlates each event (event-correlator.ts) and creates or patches it through the API server.
 */
import { CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { abortable } from '../shared/abortable.js';
import type { AdmissionEvent } from './admission-events.js';
import { kubeErrorCode } from './api-error.js';
import { EventCorrelator, type CoreEvent } from './event-correlator.js';

/** The API calls: create a new Event, or patch the stored one; both answer with the stored Event's name and resourceVersion. */
export interface EventSink {
  create(event: CoreEvent): Promise<CoreEvent>;
  patch(event: CoreEvent, patch: { count: number; lastTimestamp: string; message: string }): Promise<CoreEvent>;
}

export type EventResult = 'created' | 'patched' | 'skipped' | 'dropped' | 'error';

export interface EventRecorderOptions {
  readonly sink: EventSink;
  /** source.component and reportingComponent. */
  readonly component: string;
  /** reportingInstance (the pod's name). */
  readonly instance: string;
  /** Events waiting to be written at most (default 1000, client-go's maxQueuedEvents). */
  readonly maxQueued?: number;
  readonly correlator?: EventCorrelator;
  readonly now?: () => number;
  /** Every event's fate: for the metrics (and the error for the log). */
  readonly onResult?: (result: EventResult, error?: unknown) => void;
}

export interface EventRecorder {
  /** Queues the events (or drops them, counted, when the queue is full); returns at once. */
  record(events: readonly AdmissionEvent[]): void;
  /** Resolves when everything queued so far is written (or failed). */
  idle(): Promise<void>;
  /** Stops taking events and waits for the queue to drain (bounded by the caller). */
  stop(): Promise<void>;
}

export function createEventRecorder(options: EventRecorderOptions): EventRecorder {
  const now = options.now ?? Date.now;
  const correlator = options.correlator ?? new EventCorrelator({ now });
  const maxQueued = options.maxQueued ?? 1000;
  const queue: CoreEvent[] = [];
  let running: Promise<void> | undefined;
  let stopped = false;
  const report = (result: EventResult, error?: unknown): void => options.onResult?.(result, error);

  const toEvent = (draft: AdmissionEvent): CoreEvent => {
    const at = now();
    const timestamp = new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');
    return {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: correlator.nameFor(draft.involvedObject.name), namespace: draft.namespace },
      involvedObject: draft.involvedObject,
      type: 'Warning',
      reason: draft.reason,
      message: draft.message,
      source: { component: options.component },
      reportingComponent: options.component,
      reportingInstance: options.instance,
      firstTimestamp: timestamp,
      lastTimestamp: timestamp,
      count: 1,
    };
  };

  async function write(event: CoreEvent): Promise<void> {
    const correlated = correlator.correlate(event);
    try {
      switch (correlated.kind) {
        case 'skip':
          return report('skipped');
        case 'create':
          correlator.stored(await options.sink.create(correlated.event));
          return report('created');
        case 'patch':
          try {
            correlator.stored(await options.sink.patch(correlated.event, correlated.patch));
            return report('patched');
          } catch (err) {
            // The stored Event is gone (Events live an hour by default): create it again, with its count.
            if (kubeErrorCode(err) !== 404) throw err;
            const { resourceVersion: _gone, ...metadata } = correlated.event.metadata;
            correlator.stored(await options.sink.create({ ...correlated.event, metadata }));
            return report('created');
          }
      }
    } catch (err) {
      report('error', err);
    }
  }

  async function drain(): Promise<void> {
    for (let event = queue.shift(); event !== undefined; event = queue.shift()) await write(event);
    running = undefined;
  }

  return {
    record(events) {
      for (const draft of events) {
        if (stopped || queue.length >= maxQueued) {
          report('dropped');
          continue;
        }
        queue.push(toEvent(draft));
      }
      // Started on a later turn of the event loop: not even the first API call is made on the caller's path.
      running ??= new Promise<void>((resolve) => setImmediate(resolve)).then(drain);
    },
    idle: async () => {
      while (running !== undefined) await running;
    },
    async stop() {
      stopped = true;
      while (running !== undefined) await running;
    },
  };
}

/** core/v1 Events through the API server (RBAC: events create and patch, in any namespace). */
export function kubeEventSink(kubeConfig: KubeConfig, callTimeoutMs = 10_000): EventSink {
  const api = kubeConfig.makeApiClient(CoreV1Api);
  const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
  // Only the name and resourceVersion are taken from the answer: the rest is what was sent (the answer's times are Dates).
  const stored = (sent: CoreEvent, answer: { metadata?: { name?: string; resourceVersion?: string } }): CoreEvent => ({
    ...sent,
    metadata: { ...sent.metadata, name: answer.metadata?.name ?? sent.metadata.name, ...(answer.metadata?.resourceVersion ? { resourceVersion: answer.metadata.resourceVersion } : {}) },
  });
  return {
    async create(event) {
      const { namespace } = event.metadata;
      return stored(event, await abortable(api.createNamespacedEvent({ namespace, body: event as never }), AbortSignal.timeout(callTimeoutMs)));
    },
    async patch(event, patch) {
      const { namespace, name } = event.metadata;
      return stored(event, await abortable(api.patchNamespacedEvent({ namespace, name, body: patch }, mergePatch), AbortSignal.timeout(callTimeoutMs)));
    },
  };
}
