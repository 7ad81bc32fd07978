import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import pino, { type Logger } from 'pino';
import { hostname } from 'node:os';
import { PolicyStore } from '../policy/store.js';
import { startPolicySource } from './policy-source.js';
import { watchNamespaces, type WatchedNamespaces } from '../kube/namespace-watch.js';
import { KubeConfig } from '@kubernetes/client-node';
import { createImageInspector, type ImageInspectorOptions } from '../image/inspector.js';
import { kubeCaBundleClient, startCaBundleReconciler, type CaBundleReconciler, type CaBundleRound } from '../kube/ca-bundle.js';
import { kubeNamespaces } from '../kube/namespace-lookup.js';
import { kubePullSecrets } from '../kube/pull-secrets.js';
import { noInspection } from '../review/facts-source.js';
import { inspectorFacts } from '../review/inspector-facts.js';
import { DEFAULT_MAX_IMAGES } from '../review/review.js';
import { parseNamespaceLabels, staticNamespaces } from '../review/namespace-directory.js';
import { measuredInspector } from '../observe/inspector-metrics.js';
import { createMetrics, type Metrics } from '../observe/metrics.js';
import { createReadiness, type Readiness } from '../observe/readiness.js';
import { createApp } from '../server/app.js';
import { parseGoDuration } from '../server/deadline.js';
import { startHttpsServer } from '../server/https.js';
import { ensureDevCertificates } from '../server/tls/dev-certificates.js';
import { readTlsPair, type TlsFiles } from '../server/tls/pair.js';
import { watchTlsFiles } from '../server/tls/reload.js';
import { EXIT, UsageError, type CommandIo } from './io.js';
import { positiveInteger, REGISTRY_FLAGS, REGISTRY_FLAGS_USAGE, registryOptions } from './registry-flags.js';

export const SERVE_USAGE = `Usage: distroless-guard serve [--port 8443] [--host 0.0.0.0] [--policy FILE]
                             [--policy-reload-interval 2s] [--tls-cert FILE --tls-key FILE] [--certs-dir DIR] [--tls-reload-interval 10s]
                             [--service NAME] [--namespace NS] [--namespace-labels NS=k=v,...]... [--client-ca-file FILE]
                             [--kubeconfig FILE] [--patch-ca-bundle CA_FILE] [--webhook-configuration NAME]
                             [--ca-bundle-interval 60s] [--shutdown-delay 5s] [--offline] [--image-cache-dir DIR]
                             [--insecure-registry HOST|CIDR]... [--mirror FROM=TO]... [--allow-private-redirects]
                             [--fallback-credentials] [--max-images-per-review 64] [--max-registry-requests 32]

Serves POST /validate and POST /mutate (AdmissionReview admission.k8s.io/v1) over HTTPS, plus /healthz, /readyz and
/metrics (Prometheus). Policies come from --policy FILE (re-read every --policy-reload-interval; a bad edit keeps
the last good policies), else, with API server access (in-cluster or --kubeconfig), from the cluster's
DistrolessPolicy objects (watched; the Lease "distroless-guard" elects the replica that writes their status), else
from the embedded default policy. Without --tls-cert/--tls-key a
development CA and serving certificate are generated into --certs-dir (default ./certs). A changed certificate and
key on disk are served to new connections within --tls-reload-interval (a bad pair is logged and the old one kept).
--patch-ca-bundle keeps the caBundle of the webhook configurations named --webhook-configuration (default
distroless-guard) equal to CA_FILE through the API server (in-cluster or --kubeconfig), checked every
--ca-bundle-interval. On SIGTERM the server reports not ready, keeps serving for --shutdown-delay (while endpoints
are withdrawn), then stops accepting connections, finishes in-flight reviews and exits. Images are inspected in their registries (facts cached by digest,
optionally persisted to --image-cache-dir); --offline skips inspection (image rules are not evaluated).
Registries are reached over HTTPS only, or plain HTTP for hosts given with --insecure-registry (loopback is not
implied here); never at loopback, link-local or unspecified addresses unless listed. Blob redirects and token realms
must be HTTPS at public addresses (--allow-private-redirects: private ones too). Pods' images are read with their
own pull secrets only; --fallback-credentials also tries the guard's docker config. A review judging more than
--max-images-per-review distinct images is decided by failurePolicy; --max-registry-requests bounds registry
requests in flight. See docs/security-model.md.
  --client-ca-file FILE  admission requests must present a client certificate signed by this CA (kube-apiserver's AdmissionConfiguration kubeConfigFile)
${REGISTRY_FLAGS_USAGE}`;

/** The default of --max-registry-requests: far above what real admissions keep in flight, far below abuse. */
export const DEFAULT_MAX_REGISTRY_REQUESTS = 32;

/** The default of --shutdown-delay: time for endpoint controllers and kube-proxy to stop sending us connections. */
export const DEFAULT_SHUTDOWN_DELAY_MS = 5_000;

export interface ServeHandle {
  readonly port: number;
  readonly caPath: string | undefined;
  /** Named readiness checks (/readyz): register more (e.g. informers synced). */
  readonly readiness: Readiness;
  /** The metrics registry (/metrics): add counters to it. */
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Resolves once the first caBundle reconciliation succeeded (at once without --patch-ca-bundle). */
  readonly caBundleInPlace: Promise<void>;
  /** Graceful: not ready, keep serving for the shutdown delay, stop accepting, finish in-flight reviews. */
  shutdown(): Promise<void>;
  /** Stops at once (in-flight reviews still finish). */
  close(): Promise<void>;
}

/** Starts the webhook; resolves once it listens. Throws UsageError or PolicyLoadError (the server refuses to start). */
export async function startServe(args: readonly string[], io: CommandIo): Promise<ServeHandle> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      port: { type: 'string', default: '8443' },
      host: { type: 'string', default: '0.0.0.0' },
      policy: { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'certs-dir': { type: 'string', default: 'certs' },
      service: { type: 'string', default: 'distroless-guard' },
      namespace: { type: 'string', default: io.env['POD_NAMESPACE'] ?? 'distroless-guard' },
      'namespace-labels': { type: 'string', multiple: true, default: [] },
      'log-level': { type: 'string', default: io.env['LOG_LEVEL'] ?? 'info' },
      kubeconfig: { type: 'string' },
      offline: { type: 'boolean', default: false },
      'image-cache-dir': { type: 'string' },
      'tls-reload-interval': { type: 'string', default: '10s' },
      'policy-reload-interval': { type: 'string', default: '2s' },
      'patch-ca-bundle': { type: 'string' },
      'client-ca-file': { type: 'string' },
      'webhook-configuration': { type: 'string', default: 'distroless-guard' },
      'ca-bundle-interval': { type: 'string', default: '60s' },
      'shutdown-delay': { type: 'string', default: `${DEFAULT_SHUTDOWN_DELAY_MS / 1000}s` },
      'allow-private-redirects': { type: 'boolean', default: false },
      'fallback-credentials': { type: 'boolean', default: false },
      'max-images-per-review': { type: 'string', default: String(DEFAULT_MAX_IMAGES) },
      'max-registry-requests': { type: 'string', default: String(DEFAULT_MAX_REGISTRY_REQUESTS) },
      ...REGISTRY_FLAGS,
    },
    strict: true,
    allowPositionals: false,
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port ${values.port} is not a port number`);
  if (Boolean(values['tls-cert']) !== Boolean(values['tls-key'])) throw new UsageError('--tls-cert and --tls-key go together');
  let namespaceLabels;
  try {
    namespaceLabels = parseNamespaceLabels(values['namespace-labels']);
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const tlsReloadMs = durationFlag('--tls-reload-interval', values['tls-reload-interval'], 1);
  const caBundleIntervalMs = durationFlag('--ca-bundle-interval', values['ca-bundle-interval'], 1);
  const shutdownDelayMs = durationFlag('--shutdown-delay', values['shutdown-delay'], 0);
  const maxImages = positiveInteger('--max-images-per-review', values['max-images-per-review'], 1024);
  const maxRegistryRequests = positiveInteger('--max-registry-requests', values['max-registry-requests'], 1024);

  const logger = pino({ level: values['log-level'], base: { service: 'distroless-guard' } }, io.stdout);
  const metrics = createMetrics();
  const readiness = createReadiness();
  let shuttingDown = false;
  readiness.probe('shutdown', () => (shuttingDown ? 'shutting down' : undefined));

  let tls: TlsFiles;
  let caPath: string | undefined;
  if (values['tls-cert'] && values['tls-key']) {
    tls = { certPath: resolve(io.cwd, values['tls-cert']), keyPath: resolve(io.cwd, values['tls-key']) };
  } else {
    const dev = await ensureDevCertificates(resolve(io.cwd, values['certs-dir']), values.service, values.namespace);
    tls = dev;
    caPath = dev.caPath;
    io.stderr.write(`${dev.generated ? 'generated' : 'reusing'} development certificates; CA: ${dev.caPath}\n`);
  }

  const pair = await readTlsPair(tls);
  // Only kube-apiserver, with the client certificate of its AdmissionConfiguration kubeConfigFile, may ask for reviews.
  const clientCaPem = values['client-ca-file'] ? await readClientCa(resolve(io.cwd, values['client-ca-file'])) : undefined;
  let notAfter = pair.notAfter;
  readiness.probe('tls', () => (Date.now() > notAfter.getTime() ? `the serving certificate expired at ${notAfter.toISOString()}` : undefined));
  metrics.tlsCertificateExpiry.set(notAfter.getTime() / 1000);

  // In-cluster (or with --kubeconfig): namespace labels (what makes a namespace production) and the pods' pull
  // secrets come from the API server; otherwise labels come from --namespace-labels.
  const kubeConfig = loadKubeConfig(values.kubeconfig && resolve(io.cwd, values.kubeconfig), Boolean(io.env['KUBERNETES_SERVICE_HOST']));
  if (values['patch-ca-bundle'] && !kubeConfig) throw new UsageError('--patch-ca-bundle needs the API server: run in a cluster or give --kubeconfig');
  const onKubeError = (what: string, err: unknown) => logger.warn({ what, err }, 'cannot read from the API server');
  const policies = new PolicyStore({ guardNamespace: values.namespace });
  const policySource = await startPolicySource({
    store: policies,
    path: values.policy && resolve(io.cwd, values.policy),
    kubeConfig,
    logger,
    metrics,
    readiness,
    reloadIntervalMs: durationFlag('--policy-reload-interval', values['policy-reload-interval'], 1),
    namespace: values.namespace,
    identity: io.env['POD_NAME'] ?? hostname(),
  });
  const namespaceWatch = kubeConfig ? watchedNamespaces(kubeConfig, onKubeError) : undefined;
  const namespaces = namespaceWatch ?? staticNamespaces(namespaceLabels);
  // Early stop is off: the user (from /etc/passwd) and package managers may sit in lower layers than a shell, and
  // per-layer caching makes the next admission of an image cheap anyway.
  const facts = values.offline
    ? noInspection
    : inspectorFacts(
        measuredInspector(
          createImageInspector({
            ...(await serveRegistryOptions(values, maxRegistryRequests, io)),
            ...(values['image-cache-dir'] ? { cacheDir: resolve(io.cwd, values['image-cache-dir']) } : {}),
            earlyStop: false,
            onTagResolution: (result) => metrics.tagResolutions.inc({ result }),
            logger: logger.child({ component: 'image' }),
          }),
          metrics,
        ),
        kubeConfig ? kubePullSecrets(kubeConfig, { onError: onKubeError, onSkipped: (secret, reason) => logger.warn({ secret, reason }, 'pull secret skipped') }) : undefined,
      );
  const app = createApp({ review: { policies: () => policies.current(), namespaces, facts, maxImages }, logger, readiness, metrics, requireClientCertificate: clientCaPem !== undefined });
  const running = await startHttpsServer(app, pair, { port, host: values.host }, { clientCaPem });
  const tlsLog = logger.child({ component: 'tls' });
  const tlsWatch = watchTlsFiles(tls, {
    current: pair,
    intervalMs: tlsReloadMs,
    onReload: (next) => {
      running.setCertificate(next);
      notAfter = next.notAfter;
      metrics.tlsCertificateExpiry.set(notAfter.getTime() / 1000);
      metrics.tlsReloads.inc({ result: 'success' });
      tlsLog.info({ fingerprint: next.fingerprint, notAfter: next.notAfter.toISOString() }, 'serving certificate reloaded');
    },
    onError: (err) => {
      metrics.tlsReloads.inc({ result: 'error' });
      tlsLog.error({ error: err instanceof Error ? err.message : String(err) }, 'cannot use the new certificate and key: keeping the current ones');
    },
  });

  let caBundle: CaBundleReconciler | undefined;
  const caFile = values['patch-ca-bundle'] && resolve(io.cwd, values['patch-ca-bundle']);
  if (caFile && kubeConfig) caBundle = startCaBundle(kubeConfig, caFile, values['webhook-configuration'], caBundleIntervalMs, { logger, metrics, readiness });

  io.stderr.write(`distroless-guard serving https://${values.host === '0.0.0.0' ? '127.0.0.1' : values.host}:${running.port} (POST /validate, /mutate)\n`);
  const stop = async (): Promise<void> => {
    tlsWatch.stop();
    caBundle?.stop();
    await Promise.all([policySource.stop(), namespaceWatch?.watch.stop()]);
    await running.close();
  };
  return {
    port: running.port,
    caPath,
    readiness,
    metrics,
    logger,
    caBundleInPlace: caBundle?.firstSuccess ?? Promise.resolve(),
    close: stop,
    shutdown: async () => {
      shuttingDown = true;
      logger.info({ delayMs: shutdownDelayMs, inFlight: running.inFlight() }, 'shutting down: not ready, still serving until endpoints are withdrawn');
      await sleep(shutdownDelayMs);
      logger.info({ inFlight: running.inFlight() }, 'shutting down: no new connections, finishing in-flight reviews');
      await stop();
      logger.info('shut down');
    },
  };
}

/**
 * Namespace labels from an informer, falling back to a read for a namespace not seen yet. Not a readiness check:
 * the fallback keeps every admission right while the informer lists (or while the API server is away).
 */
function watchedNamespaces(kubeConfig: KubeConfig, onKubeError: (what: string, err: unknown) => void): WatchedNamespaces {
  return watchNamespaces(kubeConfig, kubeNamespaces(kubeConfig, { onError: onKubeError }), (err) => onKubeError('namespaces watch', err));
}

function startCaBundle(
  kubeConfig: KubeConfig,
  caFile: string,
  name: string,
  intervalMs: number,
  observe: { logger: Logger; metrics: Metrics; readiness: Readiness },
): CaBundleReconciler {
  const log = observe.logger.child({ component: 'ca-bundle' });
  // Ready after the first success only: once the caBundle was right, a later API server hiccup does not make every
  // replica unready at once (which would leave the Service without endpoints).
  const check = observe.readiness.register('ca-bundle', 'the webhook configurations caBundle is not checked yet');
  let inPlace = false;
  const countResults = (results: CaBundleRound['results']): void => {
    for (const { ref, result } of results) {
      observe.metrics.caBundlePatches.inc({ configuration: ref.kind, result });
      if (result === 'patched') log.info({ configuration: `${ref.kind}/${ref.name}` }, 'caBundle patched');
    }
  };
  const reconciler = startCaBundleReconciler({
    client: kubeCaBundleClient(kubeConfig),
    configurations: [
      { kind: 'ValidatingWebhookConfiguration', name },
      { kind: 'MutatingWebhookConfiguration', name },
    ],
    readCa: () => readFile(caFile),
    intervalMs,
    onRound: (round) => {
      switch (round.kind) {
        case 'ok':
          countResults(round.results);
          inPlace = true;
          check.ready();
          return;
        case 'error': {
          countResults(round.results);
          const error = round.error instanceof Error ? round.error.message : String(round.error);
          if (round.ref) observe.metrics.caBundlePatches.inc({ configuration: round.ref.kind, result: 'error' });
          log.error({ error }, 'cannot reconcile the webhook configurations caBundle');
          if (!inPlace) check.notReady(`caBundle not reconciled: ${error}`);
          return;
        }
      }
    },
  });
  return reconciler;
}

/**
 * The registry options of `serve`: guarded egress (docs/security-model.md), and the guard's own docker config
 * credentials only with --fallback-credentials (they would otherwise serve every pod that names a registry).
 */
async function serveRegistryOptions(
  values: Parameters<typeof registryOptions>[0] & { readonly 'allow-private-redirects': boolean; readonly 'fallback-credentials': boolean },
  maxRegistryRequests: number,
  io: CommandIo,
): Promise<Partial<ImageInspectorOptions>> {
  const shared = await registryOptions(values, io.env, AbortSignal.timeout(10_000));
  return {
    ...shared,
    credentials: values['fallback-credentials'] ? shared.credentials : undefined,
    egress: 'guarded',
    allowPrivateRedirects: values['allow-private-redirects'],
    maxRegistryRequests,
    ...(io.lookup !== undefined ? { lookup: io.lookup } : {}),
  };
}

/** The PEM of --client-ca-file; Node's TLS would silently take anything as a CA, so it must parse as a certificate. */
async function readClientCa(path: string): Promise<string> {
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (err) {
    throw new UsageError(`--client-ca-file ${path} cannot be read: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    new X509Certificate(pem);
  } catch {
    throw new UsageError(`--client-ca-file ${path} is not a PEM certificate`);
  }
  return pem;
}

function durationFlag(flag: string, text: string, minMs: number): number {
  const ms = parseGoDuration(text);
  if (ms === undefined || ms < minMs) throw new UsageError(`${flag} ${text} is not a duration like 500ms, 10s or 1m`);
  return ms;
}

/** `serve` as a process: runs until SIGTERM/SIGINT, then shuts down gracefully; a second signal exits at once. */
export async function runServe(args: readonly string[], io: CommandIo): Promise<number> {
  const handle = await startServe(args, io);
  const signal = await new Promise<NodeJS.Signals>((resolveSignal) => {
    process.once('SIGTERM', () => resolveSignal('SIGTERM'));
    process.once('SIGINT', () => resolveSignal('SIGINT'));
  });
  const again = (): void => {
    io.stderr.write('second signal: exiting without finishing in-flight reviews\n');
    process.exit(EXIT.failure);
  };
  process.once('SIGTERM', again);
  process.once('SIGINT', again);
  io.stderr.write(`${signal}: shutting down, finishing in-flight reviews\n`);
  await handle.shutdown();
  return EXIT.ok;
}

function loadKubeConfig(path: string | undefined, inCluster: boolean): KubeConfig | undefined {
  if (!path && !inCluster) return undefined;
  const kubeConfig = new KubeConfig();
  if (path) kubeConfig.loadFromFile(path);
  else kubeConfig.loadFromCluster();
  return kubeConfig;
}
