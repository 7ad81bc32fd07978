import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { apply_patch } from 'jsonpatch';
import { parseAllDocuments } from 'yaml';
import { startServe, type ServeHandle } from '../../src/cli/serve.js';
import { DEFAULT_POLICY_YAML } from '../../src/policy/default-policy.js';
import { apiserverClient } from '../support/https-client.js';
import { parseExposition } from '../support/prometheus.js';

/**
 * serve --patch-ca-bundle against a local endpoint speaking the Kubernetes API for the two webhook configurations of
 * manifests/base/webhooks.yaml: GET and JSON-patch, as kube-apiserver answers them.
 */
interface Configuration {
  kind: string;
  metadata: { name: string };
  webhooks: Array<{ name: string; clientConfig: { caBundle?: string } }>;
}

const BASE = '/apis/admissionregistration.k8s.io/v1';
let api: Server;
let apiDown = true;
const stored = new Map<string, Configuration>();
const calls: Array<{ method: string; path: string; contentType?: string; fieldManager?: string | null }> = [];
let dir: string;
let serve: ServeHandle;
let client: ReturnType<typeof apiserverClient>;
let caBundle: string;

function caBundles(): Array<string | undefined> {
  return [...stored.values()].flatMap((c) => c.webhooks.map((w) => w.clientConfig.caBundle));
}

async function until(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

before(async () => {
  const manifest = await readFile(resolve(import.meta.dirname, '../../manifests/base/webhooks.yaml'), 'utf8');
  for (const doc of parseAllDocuments(manifest)) {
    const configuration = doc.toJS() as Configuration;
    stored.set(`${BASE}/${configuration.kind.toLowerCase()}s/${configuration.metadata.name}`, configuration);
  }
  api = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    calls.push({ method: req.method ?? '', path: url.pathname, contentType: req.headers['content-type'], fieldManager: url.searchParams.get('fieldManager') });
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      const found = stored.get(url.pathname);
      const status = (code: number, message: string) => {
        res.statusCode = code;
        res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, message }));
      };
      if (apiDown) return status(503, 'the server is currently unable to handle the request');
      // The Namespace informer serve also starts in-cluster: an empty list, a quiet watch.
      if (url.pathname === '/api/v1/namespaces') {
        if (url.searchParams.get('watch') === 'true') return void res.writeHead(200);
        return res.end(JSON.stringify({ kind: 'List', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items: [] }));
      }
      if (!found) return status(404, `${url.pathname} not found`);
      if (req.method === 'PATCH') {
        if (req.headers['content-type'] !== 'application/json-patch+json') return status(415, 'unsupported patch type');
        try {
          stored.set(url.pathname, apply_patch(found, JSON.parse(Buffer.concat(chunks).toString()) as unknown[]));
        } catch (err) {
          return status(422, String(err));
        }
      }
      res.end(JSON.stringify(stored.get(url.pathname)));
    });
  });
  await new Promise<void>((resolveListen) => api.listen(0, '127.0.0.1', resolveListen));

  dir = await mkdtemp(join(tmpdir(), 'dg-ca-bundle-'));
  await writeFile(
    join(dir, 'kubeconfig'),
    `apiVersion: v1
kind: Config
clusters: [{name: local, cluster: {server: "http://127.0.0.1:${(api.address() as AddressInfo).port}", insecure-skip-tls-verify: true}}]
users: [{name: guard, user: {token: test-token}}]
contexts: [{name: local, context: {cluster: local, user: guard}}]
current-context: local
`,
  );
  await writeFile(join(dir, 'policy.yaml'), DEFAULT_POLICY_YAML);
  serve = await startServe(
    [
      '--port',
      '0', '--metrics-port', '0', '--host', '127.0.0.1', '--certs-dir', join(dir, 'certs'), '--kubeconfig', join(dir, 'kubeconfig'),
      '--policy', join(dir, 'policy.yaml'), '--patch-ca-bundle', join(dir, 'certs/ca.crt'), '--ca-bundle-interval',
      '200ms', '--offline', '--log-level', 'silent',
    ],
    { stdout: new PassThrough(), stderr: new PassThrough(), env: {}, cwd: dir },
  );
  const ca = await readFile(serve.caPath ?? '', 'utf8');
  caBundle = Buffer.from(ca).toString('base64');
  client = apiserverClient(serve.port, ca);
});

after(async () => {
  client.close();
  await serve.close();
  api.closeAllConnections();
  api.close();
  await rm(dir, { recursive: true, force: true });
});

describe('serve --patch-ca-bundle', () => {
  it('is not ready while the caBundle cannot be written, and ready once both configurations carry the CA', async () => {
    await until(() => calls.length > 0, 'a first call to the API server');
    const before = await client.get('/readyz');
    assert.equal(before.status, 503);
    assert.match(
      before.body,
      /^\[-\]ca-bundle failed: caBundle not reconciled: ValidatingWebhookConfiguration distroless-guard: HTTP 503: the server is currently unable/m,
    );
    assert.deepEqual(caBundles(), [undefined, undefined]);

    apiDown = false;
    await serve.caBundleInPlace;
    assert.deepEqual(caBundles(), [caBundle, caBundle]);
    assert.equal((await client.get('/readyz')).status, 200);
  });

  it('patches with a JSON patch under its own field manager, touching only its two configurations', () => {
    const patches = calls.filter((c) => c.method === 'PATCH');
    assert.deepEqual(
      patches.map((c) => [c.path, c.contentType, c.fieldManager]),
      [
        [`${BASE}/validatingwebhookconfigurations/distroless-guard`, 'application/json-patch+json', 'distroless-guard'],
        [`${BASE}/mutatingwebhookconfigurations/distroless-guard`, 'application/json-patch+json', 'distroless-guard'],
      ],
    );
    // Besides its two configurations it only lists and watches Namespaces (labels); nothing else is read or written.
    assert.deepEqual(
      new Set(calls.map((c) => c.path)),
      new Set([`${BASE}/validatingwebhookconfigurations/distroless-guard`, `${BASE}/mutatingwebhookconfigurations/distroless-guard`, '/api/v1/namespaces']),
    );
    assert.ok(calls.filter((c) => c.path === '/api/v1/namespaces').every((c) => c.method === 'GET'));
  });

  it('puts the caBundle back when something (a kubectl apply) erased it, and does not write when it is right', async () => {
    const patchesBefore = calls.filter((c) => c.method === 'PATCH').length;
    await sleep(500);
    assert.equal(calls.filter((c) => c.method === 'PATCH').length, patchesBefore, 'reads only while the caBundle is right');
    const validating = stored.get(`${BASE}/validatingwebhookconfigurations/distroless-guard`);
    assert.ok(validating?.webhooks[0]);
    delete validating.webhooks[0].clientConfig.caBundle;
    await until(() => caBundles().every((b) => b === caBundle), 'the caBundle restored');
  });

  it('stays ready when the API server fails after the caBundle was in place, counting the errors', async () => {
    apiDown = true;
    // Rounds of the caBundle reconciler only (the Namespace informer talks to this API server too).
    const reconcilerCalls = (): number => calls.filter((c) => c.path.startsWith(BASE)).length;
    const errorsBefore = reconcilerCalls();
    await until(() => reconcilerCalls() > errorsBefore + 1, 'failed rounds');
    assert.equal((await client.get('/readyz')).status, 200);
    const samples = parseExposition((await client.get('/metrics')).body);
    assert.equal(samples.get('distroless_guard_ca_bundle_patches_total{configuration="ValidatingWebhookConfiguration",result="patched"}'), 2);
    assert.equal(samples.get('distroless_guard_ca_bundle_patches_total{configuration="MutatingWebhookConfiguration",result="patched"}'), 1);
    assert.ok((samples.get('distroless_guard_ca_bundle_patches_total{configuration="ValidatingWebhookConfiguration",result="error"}') ?? 0) >= 2);
    assert.ok((samples.get('distroless_guard_ca_bundle_patches_total{configuration="ValidatingWebhookConfiguration",result="unchanged"}') ?? 0) >= 1);
    apiDown = false;
  });
});
