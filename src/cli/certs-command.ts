import type { CommandDefinition } from './flags.js';

const flags = {
  out: { type: 'string', value: 'DIR', help: 'the directory to write into (required)' },
  namespace: { type: 'string', value: 'NS', default: 'distroless-guard', help: "the webhook Service's namespace" },
  service: { type: 'string', value: 'NAME', default: 'distroless-guard', help: 'the webhook Service' },
  'secret-name': { type: 'string', value: 'NAME', help: 'the TLS Secret (default: SERVICE-tls)' },
  webhooks: { type: 'string', value: 'FILE', help: 'webhook configurations to fill the caBundle of (default: manifests/base/webhooks.yaml)' },
  'validity-days': { type: 'string', value: 'DAYS', default: '365', help: 'how long the certificates are valid (1-3650)' },
  'ip-address': { type: 'string', multiple: true, value: 'IP', help: 'an IP address SAN, for a webhook reached by clientConfig.url' },
  force: { type: 'boolean', help: 'replace existing files' },
} as const;

/** `certs`: a CA, a serving certificate, its Secret and the webhook configurations. (runner: certs.ts) */
export const CERTS_COMMAND: CommandDefinition<typeof flags> = {
  name: 'certs',
  summary: 'generate a CA, a serving certificate, its Secret and webhook configurations with the caBundle',
  description: `Generates a CA and a serving certificate it signs for the webhook Service (SANs SERVICE, SERVICE.NAMESPACE,
SERVICE.NAMESPACE.svc, SERVICE.NAMESPACE.svc.cluster.local, plus each --ip-address for a webhook reached by
clientConfig.url) and writes into DIR:
  ca.crt, tls.crt, tls.key   the PEM files (tls.key is readable by its owner only)
  secret.yaml                the kubernetes.io/tls Secret the Deployment mounts (with ca.crt, for --patch-ca-bundle)
  webhooks.yaml              the webhook configurations of --webhooks with the caBundle filled in, for kubectl apply -f
Existing files are kept unless --force. Never commit DIR: it holds a private key.`,
  flags,
};
