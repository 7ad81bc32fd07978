import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pino, { type Logger } from 'pino';
import { hostname } from 'node:os';
import { PolicyStore } from '../policy/store.js';
import { startPolicySource } from './policy-source.js';
import { startServeBackground } from './serve-background.js';
import { watchNamespaces, type WatchedNamespaces } from '../kube/namespace-watch.js';
import type { KubeConfig } from '@kubernetes/client-node';
import { createImageInspector, type ImageInspectorOptions } from '../image/inspector.js';
import { kubeCaBundleClient, startCaBundleReconciler, type CaBundleReconciler, type CaBundleRound } from '../kube/ca-bundle.js';
import { kubeNamespaces } from '../kube/namespace-lookup.js';
import { KubeConfigError, loadKubeConfig } from '../kube/kubeconfig.js';
import { DEFAULT_GUARD_NAMESPACE, ownNamespace } from '../kube/own-namespace.js';
import { kubePullSecrets } from '../kube/pull-secrets.js';
import { noInspection } from '../review/facts-source.js';
import { inspectorFacts } from '../review/inspector-facts.js';
import { parseNamespaceLabels, staticNamespaces } from '../review/namespace-directory.js';
import { measuredInspector } from '../observe/inspector-metrics.js';
import { createMetrics, type Metrics } from '../observe/metrics.js';
import { startMetricsServer } from '../server/metrics-server.js';
import { readBuildInfo } from './build-info.js';
import { certificateSettings, startCertificateSource } from './certificate-source.js';
import { createReadiness, type Readiness } from '../observe/readiness.js';
import { createApp } from '../server/app.js';
import { startHttpsServer } from '../server/https.js';
import { ensureDevCertificates } from '../server/tls/dev-certificates.js';
import { readTlsPair, type TlsFiles, type TlsPair } from '../server/tls/pair.js';
import { watchTlsFiles } from '../server/tls/reload.js';
import { EXIT, UsageError, type CommandIo } from './io.js';
import { parseFlags } from './flags.js';
import { parseDurationFlag, positiveInteger } from './registry-flags.js';
import { registryOptions } from './registry-options.js';
import { serveCommand } from './serve-command.js';

// The defaults live with serve's flag declarations (serve-command.ts, light enough for --help); named here too.
export { DEFAULT_MAX_REGISTRY_REQUESTS, DEFAULT_METRICS_PORT, DEFAULT_SHUTDOWN_DELAY_MS } from './serve-command.js';

export interface ServeHandle {
  readonly port: number;
  /** The plain-HTTP metrics port (--metrics-port); undefined with --metrics-port 0. */
  readonly metricsPort: number | undefined;
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
  const { values } = parseFlags(serveCommand(io.env), args);
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port ${values.port} is not a port number`);
  if (Boolean(values['tls-cert']) !== Boolean(values['tls-key'])) throw new UsageError('--tls-cert and --tls-key go together');
  const auditIntervalMs = durationFlag('--audit-interval', values['audit-interval'], 0);
  const metricsPort = Number(values['metrics-port']);
  if (!Number.isInteger(metricsPort) || metricsPort < 0 || metricsPort > 65535) throw new UsageError(`--metrics-port ${values['metrics-port']} is not a port number (0: no metrics port)`);
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
  // The guard's own namespace (never judged; its Leases and certificate names): --namespace, else where the pod runs.
  const own = values.namespace === undefined ? await ownNamespace(io.env) : undefined;
  const namespace = values.namespace ?? own?.namespace ?? DEFAULT_GUARD_NAMESPACE;
  const certificateFlags = certificateSettings(values, { service: values.service, namespace, reloadIntervalMs: tlsReloadMs });
  if (certificateFlags && values['patch-ca-bundle']) throw new UsageError('--patch-ca-bundle and --certificate-secret exclude each other: with --certificate-secret the guard keeps the caBundle itself');

  const logger = pino({ level: values['log-level'], base: { service: 'distroless-guard' } }, io.stdout);
  if (own) logger.info({ namespace, source: own.source }, "the guard's own namespace");
  const metrics = createMetrics({ build: await readBuildInfo(io.env) });
  const readiness = createReadiness();
  let shuttingDown = false;
  readiness.probe('shutdown', () => (shuttingDown ? 'shutting down' : undefined));

  let tls: TlsFiles | undefined;
  let caPath: string | undefined;
  if (values['tls-cert'] && values['tls-key']) {
    tls = { certPath: resolve(io.cwd, values['tls-cert']), keyPath: resolve(io.cwd, values['tls-key']) };
  } else if (!certificateFlags) {
    const dev = await ensureDevCertificates(resolve(io.cwd, values['certs-dir']), values.service, namespace);
    tls = dev;
    caPath = dev.caPath;
    io.stderr.write(`${dev.generated ? 'generated' : 'reusing'} development certificates; CA: ${dev.caPath}\n`);
  }

  // In-cluster (or with --kubeconfig): namespace labels (what makes a namespace production) and the pods' pull
  // secrets come from the API server; otherwise labels come from --namespace-labels.
  const kubeConfig = serveKubeConfig(values, io);
  if (certificateFlags && !kubeConfig) throw new UsageError('--certificate-secret needs the API server: run in a cluster or give --kubeconfig');
  const filePair = tls === undefined ? undefined : await readTlsPair(tls);
  const certificates =
    certificateFlags && kubeConfig
      ? await startCertificateSource({
          ...certificateFlags,
          kubeConfig,
          namespace,
          identity: io.env['POD_NAME'] ?? hostname(),
          webhookConfiguration: values['webhook-configuration'],
          reloadIntervalMs: tlsReloadMs,
          intervalMs: caBundleIntervalMs,
          ...(filePair === undefined ? {} : { current: filePair }),
          logger,
          metrics,
        })
      : undefined;
  const pair: TlsPair | undefined = certificates?.pair ?? filePair;
  if (pair === undefined) throw new UsageError('no serving certificate: give --tls-cert/--tls-key or --certificate-secret');
  // Only kube-apiserver, with the client certificate of its AdmissionConfiguration kubeConfigFile, may ask for reviews.
  const clientCaPem = values['client-ca-file'] ? await readClientCa(resolve(io.cwd, values['client-ca-file'])) : undefined;
  let notAfter = pair.notAfter;
  readiness.probe('tls', () => (Date.now() > notAfter.getTime() ? `the serving certificate expired at ${notAfter.toISOString()}` : undefined));
  metrics.tlsCertificateExpiry.set(notAfter.getTime() / 1000);

  if (values['patch-ca-bundle'] && !kubeConfig) throw new UsageError('--patch-ca-bundle needs the API server: run in a cluster or give --kubeconfig');
  if (auditIntervalMs > 0 && !kubeConfig) throw new UsageError('--audit-interval needs the API server: run in a cluster or give --kubeconfig');
  const onKubeError = (what: string, err: unknown) => logger.warn({ what, err }, 'cannot read from the API server');
  const policies = new PolicyStore({ guardNamespace: namespace });
  const policySource = await startPolicySource({
    store: policies,
    path: values.policy && resolve(io.cwd, values.policy),
    kubeConfig,
    logger,
    metrics,
    readiness,
    reloadIntervalMs: durationFlag('--policy-reload-interval', values['policy-reload-interval'], 1),
    namespace,
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
            ...(await serveRegistryOptions(values, maxRegistryRequests, io, logger.child({ component: 'credentials' }))),
            ...(values['image-cache-dir'] ? { cacheDir: resolve(io.cwd, values['image-cache-dir']) } : {}),
            earlyStop: false,
            onTagResolution: (result) => metrics.tagResolutions.inc({ result }),
            logger: logger.child({ component: 'image' }),
          }),
          metrics,
        ),
        kubeConfig ? kubePullSecrets(kubeConfig, { onError: onKubeError, onSkipped: (secret, reason) => logger.warn({ secret, reason }, 'pull secret skipped') }) : undefined,
      );
  const background = kubeConfig
    ? startServeBackground({ kubeConfig, events: values.events, auditIntervalMs, store: policies, isLeader: policySource.isLeader, facts, offline: values.offline, namespace, identity: io.env['POD_NAME'] ?? hostname(), logger, metrics })
    : undefined;
  const app = createApp({ review: { policies: () => policies.current(), namespaces, facts, maxImages }, logger, readiness, metrics, requireClientCertificate: clientCaPem !== undefined, ...(background?.onValidated ? { onValidated: background.onValidated } : {}) });
  const running = await startHttpsServer(app, pair, { port, host: values.host }, { clientCaPem });
  const metricsServer = metricsPort === 0 ? undefined : await startMetricsServer(metrics, { port: metricsPort, host: values.host }).catch(async (err: unknown) => {
    await running.close(0);
    throw err;
  });
  const tlsLog = logger.child({ component: 'tls' });
  const servePair = (next: TlsPair): void => {
    running.setCertificate(next);
    notAfter = next.notAfter;
    metrics.tlsCertificateExpiry.set(notAfter.getTime() / 1000);
    metrics.tlsReloads.inc({ result: 'success' });
    tlsLog.info({ fingerprint: next.fingerprint, notAfter: next.notAfter.toISOString() }, 'serving certificate reloaded');
  };
  // With --certificate-secret the Secret read through the API is the one source of new pairs (the files, if given,
  // only started the server).
  certificates?.follow(servePair);
  const tlsWatch =
    certificates || !tls
      ? undefined
      : watchTlsFiles(tls, {
          current: pair,
          intervalMs: tlsReloadMs,
          onReload: servePair,
          onError: (err) => {
            metrics.tlsReloads.inc({ result: 'error' });
            tlsLog.error({ error: err instanceof Error ? err.message : String(err) }, 'cannot use the new certificate and key: keeping the current ones');
          },
        });

  let caBundle: CaBundleReconciler | undefined;
  const caFile = values['patch-ca-bundle'] && resolve(io.cwd, values['patch-ca-bundle']);
  if (caFile && kubeConfig) caBundle = startCaBundle(kubeConfig, caFile, values['webhook-configuration'], caBundleIntervalMs, { logger, metrics, readiness });

  const shownHost = values.host === '0.0.0.0' ? '127.0.0.1' : values.host;
  if (metricsServer) io.stderr.write(`distroless-guard metrics on http://${shownHost}:${metricsServer.port}/metrics\n`);
  io.stderr.write(`distroless-guard serving https://${shownHost}:${running.port} (POST /validate, /mutate)\n`);
  const stop = async (): Promise<void> => {
    tlsWatch?.stop();
    caBundle?.stop();
    await Promise.all([background?.stop(), policySource.stop(), namespaceWatch?.watch.stop(), certificates?.stop()]);
    await Promise.all([running.close(), metricsServer?.close()]);
  };
  return {
    port: running.port,
    metricsPort: metricsServer?.port,
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
 * The registry options of `serve`: guarded egress (docs/security-model.md), the kubelet's credential provider plugins
 * for every pod (as on the nodes), and the guard's own docker and containers config (and their helpers) only with
 * --fallback-credentials (they would otherwise serve every pod that names a registry).
 */
async function serveRegistryOptions(
  values: Parameters<typeof registryOptions>[0] & { readonly 'allow-private-redirects': boolean; readonly 'fallback-credentials': boolean },
  maxRegistryRequests: number,
  io: CommandIo,
  logger: Logger,
): Promise<Partial<ImageInspectorOptions>> {
  const shared = await registryOptions(values, io.env, AbortSignal.timeout(10_000), { ownCredentials: values['fallback-credentials'], cwd: io.cwd, logger });
  return {
    ...shared,
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
  return parseDurationFlag(flag, text, { minMs });
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

/**
 * The API server, in-cluster or through --kubeconfig (with --context); a kubeconfig of the environment
 * ($KUBECONFIG, ~/.kube/config) is never picked up unasked: `npm start` on a laptop stays off the laptop's cluster.
 */
function serveKubeConfig(values: { kubeconfig: string | undefined; context: string | undefined }, io: CommandIo): KubeConfig | undefined {
  try {
    return loadKubeConfig({ path: values.kubeconfig, context: values.context, env: io.env, cwd: io.cwd, fallback: 'in-cluster' });
  } catch (err) {
    if (err instanceof KubeConfigError) throw new UsageError(err.message, { cause: err });
    throw err;
  }
}
