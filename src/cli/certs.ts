import { lstat, mkdir, readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { webhooksWithCaBundle } from '../kube/webhook-manifest.js';
import { generateCertificates, serviceDnsNames } from '../server/tls/generate.js';
import { EXIT, UsageError, type CommandIo } from './io.js';
import { writeAtomically } from '../shared/write-atomically.js';

export const CERTS_USAGE = `Usage: distroless-guard certs --out DIR [--namespace distroless-guard] [--service distroless-guard]
                             [--secret-name SERVICE-tls] [--webhooks FILE] [--validity-days 365] [--ip-address IP]... [--force]

Generates a CA and a serving certificate it signs for the webhook Service (SANs SERVICE, SERVICE.NAMESPACE,
SERVICE.NAMESPACE.svc, SERVICE.NAMESPACE.svc.cluster.local, plus each --ip-address for a webhook reached by
clientConfig.url) and writes into DIR:
  ca.crt, tls.crt, tls.key   the PEM files (tls.key is readable by its owner only)
  secret.yaml                the kubernetes.io/tls Secret the Deployment mounts (with ca.crt, for --patch-ca-bundle)
  webhooks.yaml              the webhook configurations of --webhooks (default: manifests/base/webhooks.yaml) with the
                             caBundle filled in, for kubectl apply -f
Existing files are kept unless --force. Never commit DIR: it holds a private key.`;

/** The repository's webhook configurations (src/cli and dist/cli both sit two levels below the root). */
const DEFAULT_WEBHOOKS = resolve(import.meta.dirname, '../../manifests/base/webhooks.yaml');

export async function runCerts(args: readonly string[], io: CommandIo): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      out: { type: 'string' },
      namespace: { type: 'string', default: 'distroless-guard' },
      service: { type: 'string', default: 'distroless-guard' },
      'secret-name': { type: 'string' },
      webhooks: { type: 'string' },
      'validity-days': { type: 'string', default: '365' },
      'ip-address': { type: 'string', multiple: true, default: [] },
      force: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    io.stdout.write(`${CERTS_USAGE}\n`);
    return EXIT.ok;
  }
  if (!values.out) throw new UsageError('--out DIR is required');
  const dns1123 = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
  for (const [flag, value] of [['--namespace', values.namespace], ['--service', values.service]] as const) {
    if (!dns1123.test(value)) throw new UsageError(`${flag} ${value} is not a Kubernetes name (RFC 1123 label)`);
  }
  const validityDays = Number(values['validity-days']);
  if (!Number.isInteger(validityDays) || validityDays < 1 || validityDays > 3650) throw new UsageError(`--validity-days ${values['validity-days']} is not a number of days (1-3650)`);
  const secretName = values['secret-name'] ?? `${values.service}-tls`;
  const out = resolve(io.cwd, values.out);
  const webhooksPath = values.webhooks ? resolve(io.cwd, values.webhooks) : DEFAULT_WEBHOOKS;
  const webhooksText = await readFile(webhooksPath, 'utf8');

  const files = { ca: join(out, 'ca.crt'), cert: join(out, 'tls.crt'), key: join(out, 'tls.key'), secret: join(out, 'secret.yaml'), webhooks: join(out, 'webhooks.yaml') };
  // Any one of them may already be in use (ca.crt as a caBundle, secret.yaml applied): nothing is replaced unless
  // --force. The private key is named first when it is there.
  const existing = values.force ? undefined : await firstExisting([files.key, files.ca, files.cert, files.secret, files.webhooks]);
  if (existing !== undefined) {
    io.stderr.write(`distroless-guard certs: ${existing} exists; keeping it (use --force to replace the CA and certificate)\n`);
    return EXIT.failure;
  }

  for (const ip of values['ip-address']) if (isIP(ip) === 0) throw new UsageError(`--ip-address ${ip} is not an IP address`);
  const generated = await generateCertificates({ dnsNames: serviceDnsNames(values.service, values.namespace), ipAddresses: values['ip-address'], validityDays });
  const caBundle = Buffer.from(generated.caCertPem).toString('base64');
  const webhooks = webhooksWithCaBundle(webhooksText, { caBundle, service: values.service, namespace: values.namespace }, webhooksPath);
  const secret = stringify({
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/tls',
    metadata: { name: secretName, namespace: values.namespace, labels: { 'app.kubernetes.io/name': 'distroless-guard' } },
    data: {
      'tls.crt': Buffer.from(generated.certPem).toString('base64'),
      'tls.key': Buffer.from(generated.keyPem).toString('base64'),
      'ca.crt': caBundle,
    },
  }, { lineWidth: 0 });

  await mkdir(out, { recursive: true, mode: 0o700 });
  await writeAtomically(files.ca, generated.caCertPem, 0o644);
  await writeAtomically(files.key, generated.keyPem, 0o600);
  await writeAtomically(files.cert, generated.certPem, 0o644);
  await writeAtomically(files.secret, `# Holds a private key: never commit it.\n${secret}`, 0o600);
  await writeAtomically(files.webhooks, `# Generated by distroless-guard certs: caBundle is ${files.ca}.\n${webhooks}`, 0o644);
  io.stdout.write(
    `wrote ${files.ca}, ${files.cert}, ${files.key}\n` +
      `wrote ${files.secret} (Secret ${values.namespace}/${secretName})\n` +
      `wrote ${files.webhooks} (caBundle filled in)\n` +
      `next: kubectl apply -f ${files.secret}   (after the namespace exists)\n`,
  );
  return EXIT.ok;
}

async function firstExisting(paths: readonly string[]): Promise<string | undefined> {
  for (const path of paths) if (await exists(path)) return path;
  return undefined;
}

/** Any entry counts, a dangling symlink included. */
async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}
