/**
 * Prometheus metrics (text format on GET /metrics). One registry per process (per `createMetrics` call, so tests
 * running several servers in one process never share counts); modules receive the `Metrics` they record into.
 *
 * Adding a metric elsewhere: `metrics.counter({ name: 'distroless_guard_x_total', help: '…', labelNames: ['a'] })`
 * (or `histogram`/`gauge`) registers it in the same registry; names are prefixed `distroless_guard_` by convention.
 * Label names stay clear of the target labels Prometheus and prometheus-operator attach to every series
 * (`namespace`, `pod`, `service`, `endpoint`, `job`, `instance`, `container`): a clash would rename ours to
 * `exported_*`. RESERVED_LABEL_NAMES lists them; the test of this module checks every metric against it.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type CounterConfiguration, type GaugeConfiguration, type HistogramConfiguration } from 'prom-client';

export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

/** How an admission ended, for labels and logs alike (one helper, so the two never disagree). */
export type AdmissionOutcome = 'allowed' | 'allowed-with-warnings' | 'denied' | 'bad-request' | 'error';

/** Admission latencies run from sub-millisecond (cached facts) to the webhook timeout (≤ 30 s). */
const ADMISSION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30];

/** Target labels prometheus-operator (ServiceMonitor, PodMonitor) and Prometheus set on every scraped series. */
export const RESERVED_LABEL_NAMES: readonly string[] = ['namespace', 'pod', 'service', 'endpoint', 'job', 'instance', 'container'];

/** What `distroless_guard_build_info` says (value 1), as Kubernetes components' `*_build_info` do. */
export interface BuildInfo {
  /** package.json's version. */
  readonly version: string;
  /** The source revision when the build recorded one, else "unknown". */
  readonly revision: string;
}

export interface Metrics {
  readonly registry: Registry;
  /** By webhook (validate, mutate) and decision. */
  readonly admissions: Counter<'webhook' | 'decision'>;
  readonly admissionDuration: Histogram<'webhook' | 'decision'>;
  readonly imageInspections: Counter<'result'>;
  readonly imageInspectionDuration: Histogram<'result'>;
  readonly imageCacheHits: Counter;
  readonly imageCacheMisses: Counter;
  readonly registryErrors: Counter<'code'>;
  readonly tagResolutions: Counter<'result'>;
  readonly policyReloads: Counter<'result'>;
  /** Rule outcomes of validating reviews: action Enforce (denied), DryRun (would deny), Exempt, NotChecked. */
  readonly ruleDecisions: Counter<'policy' | 'rule' | 'action' | 'resource_namespace'>;
  readonly tlsReloads: Counter<'result'>;
  readonly tlsCertificateExpiry: Gauge;
  readonly caBundlePatches: Counter<'configuration' | 'result'>;
  /** Writes of the certificate Secret by the leader (serve --certificate-secret), by action. */
  readonly certificateActions: Counter<'action'>;
  /** Rounds of the certificate leader that failed (API errors, a plan that does not settle). */
  readonly certificateErrors: Counter;
  /** Records one admission in the counter and the histogram. */
  observeAdmission(webhook: string, decision: AdmissionOutcome, seconds: number): void;
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
  /** `distroless_guard_build_info` (absent when not given). */
  readonly build?: BuildInfo;
}

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  const counter = <L extends string>(config: Omit<CounterConfiguration<L>, 'registers'>) => new Counter<L>({ ...config, registers: [registry] });
  const gauge = <L extends string>(config: Omit<GaugeConfiguration<L>, 'registers'>) => new Gauge<L>({ ...config, registers: [registry] });
  const histogram = <L extends string>(config: Omit<HistogramConfiguration<L>, 'registers'>) => new Histogram<L>({ ...config, registers: [registry] });

  const hooks: Array<() => void> = [];
  const admissions = counter({ name: 'distroless_guard_admission_requests_total', help: 'Admission reviews answered, by webhook (validate, mutate) and decision', labelNames: ['webhook', 'decision'] });
  const admissionDuration = histogram({
    name: 'distroless_guard_admission_duration_seconds',
    help: 'Time from receiving an admission review to answering it, by webhook (validate, mutate) and decision',
    labelNames: ['webhook', 'decision'],
    buckets: ADMISSION_BUCKETS,
  });
  if (options.build !== undefined) {
    gauge({ name: 'distroless_guard_build_info', help: 'Always 1; the labels say which build runs: version, node_version, revision', labelNames: ['version', 'node_version', 'revision'] }).set(
      { version: options.build.version, node_version: process.version, revision: options.build.revision },
      1,
    );
  }
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
      help: 'Rule outcomes of validating reviews, by policy, rule, action (Enforce: denied, DryRun: would deny, Exempt, NotChecked: facts unavailable under failurePolicy Ignore) and the namespace of the reviewed object (resource_namespace)',
      labelNames: ['policy', 'rule', 'action', 'resource_namespace'],
    }),
    policyReloads: counter({ name: 'distroless_guard_policy_reloads_total', help: 'Policy (re)loads, by result (success, error)', labelNames: ['result'] }),
    tlsReloads: counter({ name: 'distroless_guard_tls_reloads_total', help: 'Serving certificate reloads from disk, by result (success, error)', labelNames: ['result'] }),
    tlsCertificateExpiry: gauge({ name: 'distroless_guard_tls_certificate_not_after_timestamp_seconds', help: 'notAfter of the serving certificate in use (Unix seconds)' }),
    caBundlePatches: counter({
      name: 'distroless_guard_ca_bundle_patches_total',
      help: 'caBundle reconciliations of the webhook configurations, by configuration and result (unchanged, patched, error)',
      labelNames: ['configuration', 'result'],
    }),
    certificateActions: counter({
      name: 'distroless_guard_certificate_actions_total',
      help: 'Certificate Secret writes by the leader (--certificate-secret), by action: issue, renew-serving, rotate-ca-start, rotate-ca-switch, rotate-ca-finish',
      labelNames: ['action'],
    }),
    certificateErrors: counter({ name: 'distroless_guard_certificate_errors_total', help: 'Failed rounds of the certificate leader (the Secret or a webhook configuration could not be read or written)' }),
    observeAdmission(webhook, decision, seconds) {
      admissions.inc({ webhook, decision });
      admissionDuration.observe({ webhook, decision }, seconds);
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
