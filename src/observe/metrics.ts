/**
 * Prometheus metrics (text format on GET /metrics). One registry per process (per `createMetrics` call, so tests
 * running several servers in one process never share counts); modules receive the `Metrics` they record into.
 *
 * Adding a metric elsewhere: `metrics.counter({ name: 'distroless_guard_x_total', help: '…', labelNames: ['a'] })`
 * (or `histogram`/`gauge`) registers it in the same registry; names are prefixed `distroless_guard_` by convention.
 */
import { CountedHistogram } from './counted-histogram.js';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type CounterConfiguration, type GaugeConfiguration, type HistogramConfiguration } from 'prom-client';

export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

/** How an admission ended, for labels and logs alike (one helper, so the two never disagree). */
export type AdmissionOutcome = 'allowed' | 'allowed-with-warnings' | 'denied' | 'bad-request' | 'error';

/** Admission latencies run from sub-millisecond (cached facts) to the webhook timeout (≤ 30 s). */
const ADMISSION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30];

export interface Metrics {
  readonly registry: Registry;
  readonly admissions: Counter<'endpoint' | 'decision'>;
  readonly admissionDuration: CountedHistogram<'endpoint' | 'decision'>;
  readonly imageInspections: Counter<'result'>;
  readonly imageInspectionDuration: Histogram<'result'>;
  readonly imageCacheHits: Counter;
  readonly imageCacheMisses: Counter;
  readonly registryErrors: Counter<'code'>;
  readonly tagResolutions: Counter<'result'>;
  readonly policyReloads: Counter<'result'>;
  /** Rule outcomes of validating reviews: action Enforce (denied), DryRun (would deny), Exempt, NotChecked. */
  readonly ruleDecisions: Counter<'policy' | 'rule' | 'action' | 'namespace'>;
  readonly tlsReloads: Counter<'result'>;
  readonly tlsCertificateExpiry: Gauge;
  readonly caBundlePatches: Counter<'configuration' | 'result'>;
  /** Records one admission in the counter and the histogram. */
  observeAdmission(endpoint: string, decision: AdmissionOutcome, seconds: number): void;
  counter<L extends string>(config: Omit<CounterConfiguration<L>, 'registers'>): Counter<L>;
  gauge<L extends string>(config: Omit<GaugeConfiguration<L>, 'registers'>): Gauge<L>;
  histogram<L extends string>(config: Omit<HistogramConfiguration<L>, 'registers'>): Histogram<L>;
  /** Runs `hook` before each exposition (to copy counts kept elsewhere into metrics). */
  beforeRender(hook: () => void): void;
  /** The exposition text. */
  render(): Promise<string>;
}

export interface MetricsOptions {
  /** Process metrics (CPU, RSS, event-loop lag, GC); default true. */
  readonly processMetrics?: boolean;
}

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  const counter = <L extends string>(config: Omit<CounterConfiguration<L>, 'registers'>) => new Counter<L>({ ...config, registers: [registry] });
  const gauge = <L extends string>(config: Omit<GaugeConfiguration<L>, 'registers'>) => new Gauge<L>({ ...config, registers: [registry] });
  const histogram = <L extends string>(config: Omit<HistogramConfiguration<L>, 'registers'>) => new Histogram<L>({ ...config, registers: [registry] });

  /** Admissions already added to their counter, by endpoint and decision (the histogram counts every one). */
  const counted = new Map<string, number>();
  const hooks: Array<() => void> = [
    () =>
      admissionDuration.forEachSeries((endpoint, decision, count) => {
        const key = `${endpoint}\0${decision}`;
        const before = counted.get(key) ?? 0;
        if (count > before) admissions.inc({ endpoint, decision }, count - before);
        counted.set(key, count);
      }),
  ];
  const admissions = counter({ name: 'distroless_guard_admission_requests_total', help: 'Admission reviews answered, by endpoint and decision', labelNames: ['endpoint', 'decision'] });
  const admissionDuration = new CountedHistogram(
    'distroless_guard_admission_duration_seconds',
    'Time from receiving an admission review to answering it, by endpoint and decision',
    ['endpoint', 'decision'],
    ADMISSION_BUCKETS,
  ).register(registry);
  return {
    registry,
    admissions,
    admissionDuration,
    imageInspections: counter({ name: 'distroless_guard_image_inspections_total', help: 'Image inspections requested by admissions, by result (ok, error)', labelNames: ['result'] }),
    imageInspectionDuration: histogram({
      name: 'distroless_guard_image_inspection_duration_seconds',
      help: 'Time to inspect an image (digest cache hits included; digest-pinned images answered from memory are counted in distroless_guard_image_inspections_total only), by result',
      labelNames: ['result'],
      buckets: ADMISSION_BUCKETS,
    }),
    imageCacheHits: counter({ name: 'distroless_guard_image_cache_hits_total', help: 'Digest-keyed cache lookups answered from the cache (manifests, configs, layers, platform facts)' }),
    imageCacheMisses: counter({ name: 'distroless_guard_image_cache_misses_total', help: 'Digest-keyed cache lookups that had to read the registry' }),
    registryErrors: counter({ name: 'distroless_guard_registry_errors_total', help: 'Failed image inspections, by error code (unauthorized, not-found, timeout, …)', labelNames: ['code'] }),
    tagResolutions: counter({
      name: 'distroless_guard_tag_resolutions_total',
      help: 'Tag to digest resolutions, by how they were answered: hit (cached), miss (first time), refresh (expired, asked again), stale (registry unreachable: last digest used), error',
      labelNames: ['result'],
    }),
    ruleDecisions: counter({
      name: 'distroless_guard_rule_decisions_total',
      help: 'Rule outcomes of validating reviews, by policy, rule, action (Enforce: denied, DryRun: would deny, Exempt, NotChecked: facts unavailable under failurePolicy Ignore) and namespace',
      labelNames: ['policy', 'rule', 'action', 'namespace'],
    }),
    policyReloads: counter({ name: 'distroless_guard_policy_reloads_total', help: 'Policy (re)loads, by result (success, error)', labelNames: ['result'] }),
    tlsReloads: counter({ name: 'distroless_guard_tls_reloads_total', help: 'Serving certificate reloads from disk, by result (success, error)', labelNames: ['result'] }),
    tlsCertificateExpiry: gauge({ name: 'distroless_guard_tls_certificate_not_after_timestamp_seconds', help: 'notAfter of the serving certificate in use (Unix seconds)' }),
    caBundlePatches: counter({
      name: 'distroless_guard_ca_bundle_patches_total',
      help: 'caBundle reconciliations of the webhook configurations, by configuration and result (unchanged, patched, error)',
      labelNames: ['configuration', 'result'],
    }),
    observeAdmission(endpoint, decision, seconds) {
      // The counter is moved at render (above), from the histogram's counts: one cheap call per admission.
      admissionDuration.observe(endpoint, decision, seconds);
    },
    counter,
    gauge,
    histogram,
    beforeRender(hook) {
      hooks.push(hook);
    },
    render() {
      for (const hook of hooks) hook();
      return registry.metrics();
    },
  };
}
