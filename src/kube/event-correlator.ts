/**
 * client-go's EventCorrelator (k8s.io/client-go/tools/record/events_cache.go), which every controller's
 * EventRecorder runs before it writes a core/v1 Event, with its defaults:
 * - de-duplication: the same event again (source, object, type, reason, message) is the stored Event with count+1
 *   and a new lastTimestamp, written as a patch;
 * - aggregation: more than 10 events of one source, object, type and reason that differ only in their message within
 *   10 minutes become one Event whose message is "(combined from similar events): " and the latest message;
 * - spam filter: a token bucket per source and object, 25 events at once and then one per 5 minutes; an event
 *   over the budget is dropped (its occurrence is still counted, so the next Event written carries the total).
 * Pure: the clock is given, and the caller writes what `correlate` returns, then tells `stored` what the API server
 * answered (its name and resourceVersion, for the next patch).
 */
import { LruCache } from '../image/cache/lru.js';

export interface ObjectReference {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
  readonly uid?: string;
}

/** A core/v1 Event as this guard writes it (the fields client-go's recorder sets). */
export interface CoreEvent {
  readonly apiVersion: 'v1';
  readonly kind: 'Event';
  readonly metadata: { readonly name: string; readonly namespace: string; readonly resourceVersion?: string };
  readonly involvedObject: ObjectReference;
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
  readonly source: { readonly component: string; readonly host?: string };
  readonly reportingComponent: string;
  readonly reportingInstance: string;
  readonly firstTimestamp: string;
  readonly lastTimestamp: string;
  readonly count: number;
}

/** What to write: nothing (spam), a new Event, or a merge patch of the stored one. */
export type Correlated =
  | { readonly kind: 'skip' }
  | { readonly kind: 'create'; readonly event: CoreEvent }
  | { readonly kind: 'patch'; readonly event: CoreEvent; readonly patch: { readonly count: number; readonly lastTimestamp: string; readonly message: string } };

export interface CorrelatorOptions {
  readonly now?: () => number;
  /** Events of one source and object at once (default 25) … */
  readonly burst?: number;
  /** … then this many per second (default 1/300: one per 5 minutes). */
  readonly qps?: number;
  /** Distinct messages of one reason before aggregation (default 10) … */
  readonly maxEvents?: number;
  /** … within this interval since the last of them (default 10 minutes). */
  readonly maxIntervalMs?: number;
  /** Entries of each cache (default 4096, client-go's). */
  readonly cacheSize?: number;
}

/** client-go's EventAggregatorByReasonMessageFunc. */
export const AGGREGATE_PREFIX = '(combined from similar events): ';

interface AggregateRecord {
  readonly messages: Set<string>;
  lastMs: number;
}
interface Observation {
  readonly count: number;
  readonly firstTimestamp: string;
  readonly name: string;
  readonly resourceVersion: string | undefined;
}
interface Bucket {
  tokens: number;
  atMs: number;
}

export class EventCorrelator {
  private readonly now: () => number;
  private readonly burst: number;
  private readonly qps: number;
  private readonly maxEvents: number;
  private readonly maxIntervalMs: number;
  private readonly aggregates: LruCache<AggregateRecord>;
  private readonly observations: LruCache<Observation>;
  private readonly buckets: LruCache<Bucket>;
  private lastNanos = 0n;

  constructor(options: CorrelatorOptions = {}) {
    this.now = options.now ?? Date.now;
    this.burst = options.burst ?? 25;
    this.qps = options.qps ?? 1 / 300;
    this.maxEvents = options.maxEvents ?? 10;
    this.maxIntervalMs = options.maxIntervalMs ?? 600_000;
    const bounds = { maxEntries: options.cacheSize ?? 4096, maxBytes: options.cacheSize ?? 4096 };
    this.aggregates = new LruCache(bounds);
    this.observations = new LruCache(bounds);
    this.buckets = new LruCache(bounds);
  }

  /** EventCorrelate: aggregate, then count, then filter, in client-go's order. */
  correlate(event: CoreEvent): Correlated {
    const { event: aggregated, key } = this.aggregate(event);
    const observed = this.observe(aggregated, key);
    if (!this.accept(observed.event)) return { kind: 'skip' };
    return observed;
  }

  /**
   * A name for a new Event on this object, as client-go names them (name.hexnanoseconds), never the same twice: the
   * clock here has milliseconds, and one admission may call for several Events on one object at once.
   */
  nameFor(objectName: string): string {
    const nanos = BigInt(Math.round(this.now())) * 1_000_000n;
    this.lastNanos = nanos > this.lastNanos ? nanos : this.lastNanos + 1n;
    return eventName(objectName, this.lastNanos);
  }

  /** UpdateState: the Event as the API server stored it (its name and resourceVersion serve the next patch). */
  stored(event: CoreEvent): void {
    this.remember(eventKey(event), event);
  }

  private aggregate(event: CoreEvent): { event: CoreEvent; key: string } {
    const now = this.now();
    const aggregateKey = aggregateKeyOf(event);
    let record = this.aggregates.get(aggregateKey);
    if (record === undefined || now - record.lastMs > this.maxIntervalMs) record = { messages: new Set(), lastMs: now };
    record.messages.add(event.message);
    record.lastMs = now;
    this.aggregates.set(aggregateKey, record, 1);
    if (record.messages.size < this.maxEvents) return { event, key: eventKey(event) };
    // Do not grow the set beyond the threshold (client-go pops one of them).
    const first = record.messages.values().next().value;
    if (first !== undefined) record.messages.delete(first);
    const at = new Date(now).toISOString();
    return {
      key: aggregateKey,
      event: {
        ...event,
        metadata: { name: this.nameFor(event.involvedObject.name), namespace: event.metadata.namespace },
        message: `${AGGREGATE_PREFIX}${event.message}`,
        firstTimestamp: at,
        lastTimestamp: at,
        count: 1,
      },
    };
  }

  /** eventObserve: a cache hit is the stored Event again, counted; every occurrence is remembered, sent or not. */
  private observe(event: CoreEvent, key: string): Exclude<Correlated, { kind: 'skip' }> {
    const last = this.observations.get(key);
    if (last === undefined) {
      this.remember(key, event);
      return { kind: 'create', event };
    }
    const counted: CoreEvent = {
      ...event,
      metadata: { name: last.name, namespace: event.metadata.namespace, ...(last.resourceVersion ? { resourceVersion: last.resourceVersion } : {}) },
      firstTimestamp: last.firstTimestamp,
      count: last.count + 1,
    };
    this.remember(key, counted);
    return { kind: 'patch', event: counted, patch: { count: counted.count, lastTimestamp: counted.lastTimestamp, message: counted.message } };
  }

  private remember(key: string, event: CoreEvent): void {
    this.observations.set(key, { count: event.count, firstTimestamp: event.firstTimestamp, name: event.metadata.name, resourceVersion: event.metadata.resourceVersion }, 1);
  }

  /** EventSourceObjectSpamFilter: a token bucket per source and object (golang.org/x/time/rate: starts full). */
  private accept(event: CoreEvent): boolean {
    const now = this.now();
    const key = spamKeyOf(event);
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, atMs: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.atMs) / 1000) * this.qps);
    bucket.atMs = now;
    const accepted = bucket.tokens >= 1;
    if (accepted) bucket.tokens -= 1;
    this.buckets.set(key, bucket, 1);
    return accepted;
  }
}

/** client-go's name for a new Event: the object's name and the time in hexadecimal nanoseconds. */
export function eventName(objectName: string, nanos: bigint): string {
  return `${objectName}.${nanos.toString(16)}`;
}

const join = (parts: readonly (string | undefined)[]): string => parts.map((p) => p ?? '').join('\u0000');
const objectParts = (o: ObjectReference): (string | undefined)[] => [o.kind, o.namespace, o.name, o.uid, o.apiVersion];

/** getEventKey: source, object, type, reason and message. */
function eventKey(e: CoreEvent): string {
  return join([e.source.component, e.source.host, ...objectParts(e.involvedObject), e.type, e.reason, e.message]);
}
/** EventAggregatorByReasonFunc: the same without the message, with the reporting controller and instance. */
function aggregateKeyOf(e: CoreEvent): string {
  return join([e.source.component, e.source.host, ...objectParts(e.involvedObject), e.type, e.reason, e.reportingComponent, e.reportingInstance]);
}
/** getSpamKey: source and object. */
function spamKeyOf(e: CoreEvent): string {
  return join([e.source.component, e.source.host, ...objectParts(e.involvedObject)]);
}
