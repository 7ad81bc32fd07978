import assert from 'node:assert/strict';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { connect, createServer, type Server } from 'node:tls';
import type { V1Secret, V1ValidatingWebhookConfiguration } from '@kubernetes/client-node';
import { parse, parseAllDocuments } from 'yaml';
import { main } from '../../src/cli/main.js';
import { validateAgainstSchema } from '../support/kube-schema.js';
import type { KubeObject } from '../support/kustomize.js';

const NAMES = ['dg', 'dg.guard-ns', 'dg.guard-ns.svc', 'dg.guard-ns.svc.cluster.local'];
let dir: string;
let out: string;
let stdout: string;

async function certs(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const o = new PassThrough();
  const e = new PassThrough();
  const chunks = { o: [] as Buffer[], e: [] as Buffer[] };
  o.on('data', (c: Buffer) => chunks.o.push(c));
  e.on('data', (c: Buffer) => chunks.e.push(c));
  const code = await main(['certs', ...args], { stdout: o, stderr: e, env: {}, cwd: dir });
  return { code, stdout: Buffer.concat(chunks.o).toString(), stderr: Buffer.concat(chunks.e).toString() };
}

const file = (name: string) => readFile(join(out, name), 'utf8');

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dg-certs-'));
  out = join(dir, 'out');
  const result = await certs(['--out', 'out', '--namespace', 'guard-ns', '--service', 'dg', '--validity-days', '30']);
  assert.equal(result.code, 0, result.stderr);
  stdout = result.stdout;
});
after(() => rm(dir, { recursive: true, force: true }));

/** Node's TLS client, as kube-apiserver: verify against the CA for one server name. */
function handshake(port: number, ca: string, servername: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, ca, servername }, () => {
      resolve('ok');
      socket.end();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

describe('distroless-guard certs', () => {
  it('writes the CA, the serving pair, a tls Secret and the webhook configurations; the private key is private', async () => {
    assert.match(stdout, /secret\.yaml \(Secret guard-ns\/dg-tls\)/);
    assert.equal((await stat(join(out, 'tls.key'))).mode & 0o777, 0o600);
    assert.equal((await stat(join(out, 'secret.yaml'))).mode & 0o777, 0o600);
  });

  it('the serving certificate is signed by the CA, names the Service as kube-apiserver reaches it, and ends when asked', async () => {
    const ca = new X509Certificate(await file('ca.crt'));
    const cert = new X509Certificate(await file('tls.crt'));
    assert.equal(ca.ca, true);
    assert.equal(cert.ca, false);
    assert.ok(cert.verify(ca.publicKey));
    assert.equal(cert.issuer, ca.subject);
    assert.deepEqual(cert.subjectAltName?.split(', ').sort(), NAMES.map((n) => `DNS:${n}`).sort());
    assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.1'], 'serverAuth');
    const days = (Date.parse(cert.validTo) - Date.now()) / 86_400_000;
    assert.ok(days > 29.9 && days <= 30, `not-after in ${days} days`);
    assert.ok(Date.parse(cert.validFrom) <= Date.now());
  });

  it("Node's TLS verifies the chain for every Service name, and refuses other names and other CAs", async () => {
    const [ca, cert, key] = await Promise.all([file('ca.crt'), file('tls.crt'), file('tls.key')]);
    const server: Server = createServer({ cert, key }, (socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      for (const name of NAMES) assert.equal(await handshake(port, ca, name), 'ok', name);
      assert.equal(await handshake(port, ca, 'dg.other-ns.svc'), 'ERR_TLS_CERT_ALTNAME_INVALID');
      const other = await certs(['--out', 'other', '--namespace', 'guard-ns', '--service', 'dg']);
      assert.equal(other.code, 0);
      assert.equal(await handshake(port, await readFile(join(dir, 'other/ca.crt'), 'utf8'), 'dg.guard-ns.svc'), 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    } finally {
      server.close();
    }
  });

  it('secret.yaml is the kubernetes.io/tls Secret with the pair, ca.crt and ca.key, valid against the Kubernetes schema', async () => {
    const secret = parse(await file('secret.yaml')) as V1Secret;
    assert.deepEqual(await validateAgainstSchema(secret as unknown as KubeObject), { kind: 'validated', errors: [] });
    assert.equal(secret.type, 'kubernetes.io/tls');
    assert.deepEqual(secret.metadata, { name: 'dg-tls', namespace: 'guard-ns', labels: { 'app.kubernetes.io/name': 'distroless-guard' } });
    const decoded = Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
    const { 'ca.key': caKey, ...files } = decoded;
    assert.deepEqual(files, { 'tls.crt': await file('tls.crt'), 'tls.key': await file('tls.key'), 'ca.crt': await file('ca.crt') });
    // The CA's key, for serve --certificate-secret to renew from: it belongs to ca.crt.
    assert.ok(new X509Certificate(await file('ca.crt')).checkPrivateKey(createPrivateKey(caKey ?? '')), 'ca.key is the key of ca.crt');
  });

  it('webhooks.yaml: both configurations, every webhook with the caBundle, pointed at the Service, excluding its namespace', async () => {
    const caBundle = Buffer.from(await file('ca.crt')).toString('base64');
    const docs = parseAllDocuments(await file('webhooks.yaml')).map((d) => d.toJS() as V1ValidatingWebhookConfiguration);
    assert.deepEqual(docs.map((d) => d.kind), ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']);
    for (const doc of docs) {
      assert.deepEqual(await validateAgainstSchema(doc as unknown as KubeObject), { kind: 'validated', errors: [] });
      for (const webhook of doc.webhooks ?? []) {
        assert.equal(webhook.clientConfig.caBundle, caBundle);
        assert.equal(webhook.clientConfig.service?.name, 'dg');
        assert.equal(webhook.clientConfig.service?.namespace, 'guard-ns');
        assert.deepEqual(webhook.namespaceSelector?.matchExpressions?.[0]?.values, ['guard-ns', 'kube-system']);
      }
    }
  });

  it('keeps an existing CA unless --force', async () => {
    const before = await file('ca.crt');
    const again = await certs(['--out', 'out', '--namespace', 'guard-ns', '--service', 'dg']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /tls\.key exists; keeping it \(use --force/);
    assert.equal(await file('ca.crt'), before);
    assert.equal((await certs(['--out', 'out', '--namespace', 'guard-ns', '--service', 'dg', '--force'])).code, 0);
    assert.notEqual(await file('ca.crt'), before);
  });

  it('usage errors exit 2', async () => {
    assert.equal((await certs([])).code, 2);
    assert.match((await certs(['--out', 'x', '--namespace', 'Bad_NS'])).stderr, /--namespace Bad_NS is not a Kubernetes name/);
  });
});
