import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { kubeNamespaces } from '../../src/kube/namespace-lookup.js';

/** A local endpoint speaking the Kubernetes API for GET /api/v1/namespaces/{name}, as the API server answers it. */
let server: Server;
let labels: Record<string, Record<string, string>> = {};
let requests = 0;
let delayMs = 0;

before(async () => {
  server = createServer((req, res) => {
    requests += 1;
    const name = /^\/api\/v1\/namespaces\/([^/?]+)/.exec(req.url ?? '')?.[1] ?? '';
    setTimeout(() => {
      const found = labels[name];
      res.setHeader('content-type', 'application/json');
      if (!found) {
        res.statusCode = 404;
        res.end(
          JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: `namespaces "${name}" not found` }),
        );
        return;
      }
      res.end(JSON.stringify({ kind: 'Namespace', apiVersion: 'v1', metadata: { name, labels: found } }));
    }, delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
after(() => {
  server.closeAllConnections();
  server.close();
});

function kubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  const { port } = server.address() as AddressInfo;
  kc.loadFromOptions({
    clusters: [{ name: 'local', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'guard', token: 'not-a-secret' }],
    contexts: [{ name: 'local', cluster: 'local', user: 'guard' }],
    currentContext: 'local',
  });
  return kc;
}

describe('namespace labels from the API server', () => {
  it('reads labels and adds the name label; a second admission within the TTL reads nothing', async () => {
    labels = { shop: { environment: 'production' } };
    requests = 0;
    const directory = kubeNamespaces(kubeConfig(), { ttlMs: 60_000 });
    const first = await directory.lookup('shop', AbortSignal.timeout(5_000));
    assert.deepEqual(first, { name: 'shop', labels: { environment: 'production', 'kubernetes.io/metadata.name': 'shop' } });
    await directory.lookup('shop', AbortSignal.timeout(5_000));
    assert.equal(requests, 1);
  });
  it('a changed label is seen once the TTL has passed', async () => {
    labels = { shop: { environment: 'staging' } };
    const directory = kubeNamespaces(kubeConfig(), { ttlMs: 0 });
    assert.equal((await directory.lookup('shop', AbortSignal.timeout(5_000))).labels['environment'], 'staging');
    labels = { shop: { environment: 'production' } };
    assert.equal((await directory.lookup('shop', AbortSignal.timeout(5_000))).labels['environment'], 'production');
  });
  it('an unknown namespace gets its name label only, and the error is reported', async () => {
    labels = {};
    const errors: string[] = [];
    const directory = kubeNamespaces(kubeConfig(), { onError: (ns) => errors.push(ns) });
    assert.deepEqual(await directory.lookup('ghost', AbortSignal.timeout(5_000)), { name: 'ghost', labels: { 'kubernetes.io/metadata.name': 'ghost' } });
    assert.deepEqual(errors, ['ghost']);
  });
  it('a slow API server never outlives the admission deadline: the last labels seen are used', async () => {
    labels = { shop: { environment: 'production' } };
    const directory = kubeNamespaces(kubeConfig(), { ttlMs: 0 });
    await directory.lookup('shop', AbortSignal.timeout(5_000));
    delayMs = 2_000;
    const started = performance.now();
    const info = await directory.lookup('shop', AbortSignal.timeout(200));
    delayMs = 0;
    assert.ok(performance.now() - started < 1_000);
    assert.equal(info.labels['environment'], 'production');
  });
});
