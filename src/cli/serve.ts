import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { compilePolicies } from '../policy/compile.js';
import { readPolicies } from '../policy/source.js';
import { KubeConfig } from '@kubernetes/client-node';
import { createImageInspector } from '../image/inspector.js';
import { kubeNamespaces } from '../kube/namespaces.js';
import { kubePullSecrets } from '../kube/pull-secrets.js';
import { noInspection } from '../review/facts-source.js';
import { inspectorFacts } from '../review/inspector-facts.js';
import { parseNamespaceLabels, staticNamespaces } from '../review/namespaces.js';
import { createApp } from '../server/app.js';
import { startHttpsServer } from '../server/https.js';
import { ensureDevCertificates } from '../server/tls/dev-certificates.js';
import { EXIT, UsageError, type CommandIo } from './io.js';
import { REGISTRY_FLAGS, REGISTRY_FLAGS_USAGE, registryOptions } from './registry-flags.js';

export const SERVE_USAGE = `Usage: distroless-guard serve [--port 8443] [--host 0.0.0.0] [--policy FILE]
                             [--tls-cert FILE --tls-key FILE] [--certs-dir DIR]
                             [--service NAME] [--namespace NS] [--namespace-labels NS=k=v,...]...
                             [--kubeconfig FILE] [--offline] [--image-cache-dir DIR] [--insecure-registry HOST]... [--mirror FROM=TO]...

Serves POST /validate and POST /mutate (AdmissionReview admission.k8s.io/v1) over HTTPS, plus /healthz and /readyz.
Without --policy the embedded default policy is used; without --tls-cert/--tls-key a development CA and serving
certificate are generated into --certs-dir (default ./certs). Images are inspected in their registries (facts cached
by digest, optionally persisted to --image-cache-dir); --offline skips inspection (image rules are not evaluated).
${REGISTRY_FLAGS_USAGE}`;

export interface ServeHandle {
  readonly port: number;
  readonly caPath: string | undefined;
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

  const logger = pino({ level: values['log-level'], base: { service: 'distroless-guard' } }, io.stdout);
  const policies = compilePolicies(await readPolicies(values.policy && resolve(io.cwd, values.policy)), { guardNamespace: values.namespace });
  logger.info({ policies: policies.map((p) => p.name), source: values.policy ?? 'embedded default' }, 'policies loaded');

  let tls: { certPath: string; keyPath: string };
  let caPath: string | undefined;
  if (values['tls-cert'] && values['tls-key']) {
    tls = { certPath: resolve(io.cwd, values['tls-cert']), keyPath: resolve(io.cwd, values['tls-key']) };
  } else {
    const dev = await ensureDevCertificates(resolve(io.cwd, values['certs-dir']), values.service, values.namespace);
    tls = dev;
    caPath = dev.caPath;
    io.stderr.write(`${dev.generated ? 'generated' : 'reusing'} development certificates; CA: ${dev.caPath}\n`);
  }

  // In-cluster (or with --kubeconfig): namespace labels (what makes a namespace production) and the pods' pull
  // secrets come from the API server; otherwise labels come from --namespace-labels.
  const kubeConfig = loadKubeConfig(values.kubeconfig && resolve(io.cwd, values.kubeconfig), Boolean(io.env['KUBERNETES_SERVICE_HOST']));
  const onKubeError = (what: string, err: unknown) => logger.warn({ what, err }, 'cannot read from the API server');
  const namespaces = kubeConfig ? kubeNamespaces(kubeConfig, { onError: onKubeError }) : staticNamespaces(namespaceLabels);
  // Early stop is off: the user (from /etc/passwd) and package managers may sit in lower layers than a shell, and
  // per-layer caching makes the next admission of an image cheap anyway.
  const facts = values.offline
    ? noInspection
    : inspectorFacts(
        createImageInspector({
          ...(await registryOptions(values, io.env, AbortSignal.timeout(10_000))),
          ...(values['image-cache-dir'] ? { cacheDir: resolve(io.cwd, values['image-cache-dir']) } : {}),
          earlyStop: false,
          logger: logger.child({ component: 'image' }),
        }),
        kubeConfig ? kubePullSecrets(kubeConfig, { onError: onKubeError }) : undefined,
      );
  const app = createApp({ review: { policies: () => policies, namespaces, facts }, logger });
  const running = await startHttpsServer(app, tls, { port, host: values.host });
  io.stderr.write(`distroless-guard serving https://${values.host === '0.0.0.0' ? '127.0.0.1' : values.host}:${running.port} (POST /validate, /mutate)\n`);
  return {
    port: running.port,
    caPath,
    close: async () => {
      await running.close();
    },
  };
}

/** `serve` as a process: runs until SIGTERM/SIGINT, then drains in-flight reviews and exits. */
export async function runServe(args: readonly string[], io: CommandIo): Promise<number> {
  const handle = await startServe(args, io);
  await new Promise<void>((resolveSignal) => {
    process.once('SIGTERM', resolveSignal);
    process.once('SIGINT', resolveSignal);
  });
  io.stderr.write('shutting down: finishing in-flight reviews\n');
  await handle.close();
  return EXIT.ok;
}

function loadKubeConfig(path: string | undefined, inCluster: boolean): KubeConfig | undefined {
  if (!path && !inCluster) return undefined;
  const kubeConfig = new KubeConfig();
  if (path) kubeConfig.loadFromFile(path);
  else kubeConfig.loadFromCluster();
  return kubeConfig;
}
