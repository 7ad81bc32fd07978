import type { CommandDefinition } from './flags.js';
import { CERTIFICATE_FLAGS } from './certificate-flags.js';
import { REGISTRY_FLAGS } from './registry-flags.js';

/** The default of --max-registry-requests: far above what real admissions keep in flight, far below abuse. */
export const DEFAULT_MAX_REGISTRY_REQUESTS = 32;

/** The default of --metrics-port: plain HTTP, /metrics only (Kyverno serves its metrics on 8000 the same way). */
export const DEFAULT_METRICS_PORT = 8080;

/** The default of --shutdown-delay: time for endpoint controllers and kube-proxy to stop sending us connections. */
export const DEFAULT_SHUTDOWN_DELAY_MS = 5_000;

/** review.ts's DEFAULT_MAX_IMAGES (not imported: this module stays light; src/cli/serve-command.test.ts keeps them equal). */
export const DEFAULT_MAX_IMAGES_FLAG = '64';

/** serve's flags; --log-level's default comes from the Deployment's environment (LOG_LEVEL), --namespace's at start (kube/own-namespace.ts). */
function serveFlags(env: NodeJS.ProcessEnv) {
  return {
    port: { type: 'string', value: 'PORT', default: '8443', help: 'HTTPS port of the webhook (0 picks a free port)' },
    host: { type: 'string', value: 'ADDRESS', default: '0.0.0.0', help: 'address to listen on' },
    policy: { type: 'string', value: 'FILE', help: "DistrolessPolicy documents (default: the cluster's DistrolessPolicy objects, else the embedded default)" },
    'policy-reload-interval': { type: 'string', value: 'DURATION', default: '2s', help: 'how often --policy FILE is re-read (a bad edit keeps the last good policies)' },
    'tls-cert': { type: 'string', value: 'FILE', help: 'serving certificate (PEM), with --tls-key' },
    'tls-key': { type: 'string', value: 'FILE', help: 'its private key (PEM), with --tls-cert' },
    'certs-dir': { type: 'string', value: 'DIR', default: 'certs', help: 'without --tls-cert/--tls-key: where a development CA and certificate are generated' },
    'tls-reload-interval': { type: 'string', value: 'DURATION', default: '10s', help: 'how often a changed certificate and key are picked up' },
    service: { type: 'string', value: 'NAME', default: 'distroless-guard', help: 'the webhook Service (development certificate SANs)' },
    namespace: { type: 'string', value: 'NS', help: "the guard's own namespace, never judged (default: $POD_NAMESPACE, else the pod's ServiceAccount namespace, else distroless-guard)" },
    'namespace-labels': { type: 'string', multiple: true, value: 'NS=k=v,...', help: 'labels of namespace NS when there is no cluster to read them from' },
    'log-level': { type: 'string', value: 'LEVEL', default: env['LOG_LEVEL'] ?? 'info', help: 'debug, info, warn, error or silent ($LOG_LEVEL)' },
    kubeconfig: { type: 'string', value: 'FILE', help: 'reach the API server with this kubeconfig (default: in-cluster when run in a pod, else no cluster)' },
    context: { type: 'string', value: 'NAME', help: 'the kubeconfig context to use (default: its current one)' },
    'client-ca-file': { type: 'string', value: 'FILE', help: "admission requests must present a client certificate signed by this CA (kube-apiserver's AdmissionConfiguration kubeConfigFile)" },
    'patch-ca-bundle': { type: 'string', value: 'CA_FILE', help: 'keep the caBundle of the webhook configurations equal to CA_FILE through the API server' },
    'webhook-configuration': { type: 'string', value: 'NAME', default: 'distroless-guard', help: 'the webhook configurations --patch-ca-bundle keeps' },
    'ca-bundle-interval': { type: 'string', value: 'DURATION', default: '60s', help: 'how often --patch-ca-bundle checks them' },
    'shutdown-delay': { type: 'string', value: 'DURATION', default: `${DEFAULT_SHUTDOWN_DELAY_MS / 1000}s`, help: 'on SIGTERM, keep serving this long (not ready) while endpoints are withdrawn' },
    'metrics-port': { type: 'string', value: 'PORT', default: String(DEFAULT_METRICS_PORT), help: 'GET /metrics over plain HTTP on --host:PORT, nothing else (0: none); /metrics on the HTTPS port is deprecated' },
    offline: { type: 'boolean', help: 'do not inspect images (rules that need image facts are not evaluated)' },
    'image-cache-dir': { type: 'string', value: 'DIR', help: 'persist layer indexes and facts here, so a restart does not re-scan' },
    'allow-private-redirects': { type: 'boolean', help: 'let blob redirects and token realms reach private addresses too' },
    'fallback-credentials': { type: 'boolean', help: "also try the guard's own docker config for pods' images (default: their pull secrets only)" },
    'max-images-per-review': { type: 'string', value: 'N', default: DEFAULT_MAX_IMAGES_FLAG, help: 'a review judging more distinct images is decided by failurePolicy' },
    'max-registry-requests': { type: 'string', value: 'N', default: String(DEFAULT_MAX_REGISTRY_REQUESTS), help: 'registry requests in flight at most' },
    events: { type: 'boolean', default: true, help: 'write no Kubernetes Events (default: a Warning Event for each denial and DryRun violation, on the workload, rate-limited and aggregated as client-go does)' },
    'audit-interval': { type: 'string', value: 'DURATION', default: '0', help: "every DURATION, on the leader replica, audit the running pods as audit --write-reports does and write the violations into each DistrolessPolicy's status (0: off)" },
    ...CERTIFICATE_FLAGS,
    ...REGISTRY_FLAGS,
  } as const;
}

/** `serve`: the admission webhook. (runner: serve.ts) */
export function serveCommand(env: NodeJS.ProcessEnv): CommandDefinition<ReturnType<typeof serveFlags>> {
  return {
    name: 'serve',
    summary: 'run the validating and mutating admission webhook (HTTPS)',
    description: `Serves POST /validate and POST /mutate (AdmissionReview admission.k8s.io/v1) over HTTPS, plus /healthz, /readyz and
/metrics (Prometheus). Policies come from --policy FILE, else, with API server access (in-cluster or --kubeconfig),
from the cluster's DistrolessPolicy objects (watched; the Lease "distroless-guard" elects the replica that writes
their status), else from the embedded default policy. Without --tls-cert/--tls-key a development CA and serving
certificate are generated into --certs-dir. On SIGTERM the server reports not ready, keeps serving for
--shutdown-delay, then stops accepting connections, finishes in-flight reviews and exits. Images are inspected in
their registries (facts cached by digest). Registries are reached over HTTPS only, or plain HTTP for hosts given
with --insecure-registry (loopback is not implied here); never at loopback, link-local or unspecified addresses
unless listed. Pods' images are read with their own pull secrets only. See docs/security-model.md.`,
    flags: serveFlags(env),
  };
}
