import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { startServe, type ServeHandle } from '../../src/cli/serve.js';
import { apiserverClient } from '../support/https-client.js';
import { CATALOG, seedImages, type SeededCatalog } from '../support/images.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { podReview } from '../support/reviews.js';

/**
 * In-cluster credentials, end to end: a private registry (htpasswd), the pod's pull secret and its service
 * account's read from a local endpoint speaking the Kubernetes API, kube-apiserver's HTTPS call to `serve`.
 */
const POLICY = `apiVersion: distroless-guard.io/v1alpha1
kind: DistrolessPolicy
metadata: {name: prod}
spec:
  mode: Enforce
  failurePolicy: Fail
  rules:
    noPrivilegeEscalation: {action: Disabled}
`;

let registry: TestRegistry;
let seeded: SeededCatalog;
let kubeApi: Server;
let dir: string;
let serve: ServeHandle;
let client: ReturnType<typeof apiserverClient>;
const kubeRequests: string[] = [];

function dockerConfigJson(host: string, username: string, password: string): string {
  const auth = Buffer.from(`${username}:${password}`).toString('base64');
  return Buffer.from(JSON.stringify({ auths: { [host]: { auth } } })).toString('base64');
}

before(async () => {
  registry = await startRegistry({ auth: 'basic' });
  const user = registry.credentials;
  if (!user) throw new Error('basic-auth registry without credentials');
  const entry = CATALOG.find((e) => e.name === 'distroless-static:nonroot');
  if (!entry) throw new Error('catalog entry missing');
  seeded = await seedImages({ host: registry.host, credentials: user }, [entry]);

  const secret = (name: string) => ({
    kind: 'Secret', apiVersion: 'v1', metadata: { name, namespace: 'shop' }, type: 'kubernetes.io/dockerconfigjson',
    data: { '.dockerconfigjson': dockerConfigJson(registry.host, user.username, user.password) },
  });
  const objects: Record<string, unknown> = {
    '/api/v1/namespaces/shop': { kind: 'Namespace', apiVersion: 'v1', metadata: { name: 'shop', labels: { environment: 'production' } } },
    '/api/v1/namespaces/shop/serviceaccounts/default': { kind: 'ServiceAccount', apiVersion: 'v1', metadata: { name: 'default', namespace: 'shop' } },
    '/api/v1/namespaces/shop/serviceaccounts/builder': {
      kind: 'ServiceAccount',
      apiVersion: 'v1',
      metadata: { name: 'builder', namespace: 'shop' },
      imagePullSecrets: [{ name: 'sa-pull' }],
    },
    '/api/v1/namespaces/shop/secrets/pod-pull': secret('pod-pull'),
    '/api/v1/namespaces/shop/secrets/sa-pull': secret('sa-pull'),
    // Crafted by a tenant: the right data in a Secret the kubelet would never read, and a type-correct one whose
    // content is not a docker config.
    '/api/v1/namespaces/shop/secrets/opaque-pull': { ...secret('opaque-pull'), type: 'Opaque' },
    '/api/v1/namespaces/shop/secrets/broken-pull': {
      ...secret('broken-pull'),
      data: { '.dockerconfigjson': Buffer.from('{"auths": {"x": {"auth": "not base64 of user:password"}}').toString('base64') },
    },
  };
  kubeApi = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    kubeRequests.push(path);
    const found = objects[path];
    res.setHeader('content-type', 'application/json');
    res.statusCode = found ? 200 : 404;
    res.end(JSON.stringify(found ?? { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 }));
  });
  await new Promise<void>((resolve) => kubeApi.listen(0, '127.0.0.1', resolve));

  dir = await mkdtemp(join(tmpdir(), 'dg-pull-secrets-'));
  await writeFile(join(dir, 'policy.yaml'), POLICY);
  const kubeconfig = `apiVersion: v1
kind: Config
clusters: [{name: local, cluster: {server: "http://127.0.0.1:${(kubeApi.address() as AddressInfo).port}", insecure-skip-tls-verify: true}}]
users: [{name: guard, user: {token: test-token}}]
contexts: [{name: local, context: {cluster: local, user: guard}}]
current-context: local
`;
  await writeFile(join(dir, 'kubeconfig'), kubeconfig);
  serve = await startServe(
    [
      '--port',
      '0', '--metrics-port', '0', '--host', '127.0.0.1', '--certs-dir', join(dir, 'certs'), '--policy', join(dir, 'policy.yaml'),
      '--kubeconfig', join(dir, 'kubeconfig'), '--insecure-registry', '127.0.0.0/8', '--log-level', 'silent',
    ],
    { stdout: new PassThrough(), stderr: new PassThrough(), env: { DOCKER_CONFIG: join(dir, 'none') }, cwd: dir },
  );
  client = apiserverClient(serve.port, await readFile(serve.caPath ?? '', 'utf8'));
});

after(async () => {
  client.close();
  await serve.close();
  kubeApi.closeAllConnections();
  kubeApi.close();
  await registry.stop();
  await rm(dir, { recursive: true, force: true });
});

async function validate(spec: object): Promise<{ allowed: boolean; status?: { message: string } }> {
  const reply = await client.post('/validate?timeout=20s', JSON.stringify(podReview(spec as never, { namespace: 'shop' })));
  assert.equal(reply.status, 200, reply.body);
  return (reply.json as { response: { allowed: boolean; status?: { message: string } } }).response;
}

describe('pull secrets in-cluster', () => {
  it("without the pod's credentials a private image cannot be inspected, and failurePolicy Fail says why", async () => {
    const response = await validate({ containers: [{ name: 'app', image: seeded.get('distroless-static:nonroot').ref }] });
    assert.equal(response.allowed, false);
    assert.match(response.status?.message ?? '', /could not inspect image: .*(unauthorized|credentials|401)/i);
  });
  it("the pod's imagePullSecrets are read from the API server and used: the private distroless image is allowed", async () => {
    const response = await validate({
      imagePullSecrets: [{ name: 'pod-pull' }],
      containers: [{ name: 'app', image: seeded.get('distroless-static:nonroot').ref }],
    });
    assert.deepEqual(response, { uid: 'b4f0c0de-1111-4e2d-9c1a-000000000001', allowed: true });
    assert.ok(kubeRequests.includes('/api/v1/namespaces/shop/secrets/pod-pull'));
  });
  it('a Secret that is not of a pull-secret type is not read as one (the kubelet would not)', async () => {
    const response = await validate({
      imagePullSecrets: [{ name: 'opaque-pull' }],
      containers: [{ name: 'app', image: seeded.get('distroless-static:nonroot').ref }],
    });
    assert.equal(response.allowed, false);
    assert.match(response.status?.message ?? '', /could not inspect image: .*refused/i);
  });
  it('a malformed pull secret is skipped: the rules still run with the other secrets', async () => {
    const response = await validate({
      imagePullSecrets: [{ name: 'broken-pull' }, { name: 'pod-pull' }],
      containers: [{ name: 'app', image: seeded.get('distroless-static:nonroot').ref }],
    });
    assert.deepEqual(response, { uid: 'b4f0c0de-1111-4e2d-9c1a-000000000001', allowed: true });
  });
  it("the service account's imagePullSecrets count too, as kubelet merges them", async () => {
    const response = await validate({
      serviceAccountName: 'builder',
      containers: [
        { name: 'app', image: `${seeded.get('distroless-static:nonroot').ref.replace(':nonroot', '')}@${seeded.get('distroless-static:nonroot').digest}` },
      ],
    });
    assert.equal(response.allowed, true, response.status?.message);
    assert.ok(kubeRequests.includes('/api/v1/namespaces/shop/secrets/sa-pull'));
  });
});

describe("the guard's own docker credentials and pods", () => {
  let own: ServeHandle;
  let ownClient: ReturnType<typeof apiserverClient>;
  const start = async (extra: readonly string[]): Promise<void> => {
    own = await startServe(
      [
        '--port',
        '0', '--metrics-port', '0', '--host', '127.0.0.1', '--certs-dir', join(dir, 'certs-own'), '--policy', join(dir, 'policy.yaml'),
        '--namespace-labels', 'shop=environment=production', '--insecure-registry', '127.0.0.0/8', '--log-level',
        'silent', ...extra,
      ],
      { stdout: new PassThrough(), stderr: new PassThrough(), env: { DOCKER_CONFIG: join(dir, 'docker') }, cwd: dir },
    );
    ownClient = apiserverClient(own.port, await readFile(own.caPath ?? '', 'utf8'));
  };
  const stop = async (): Promise<void> => {
    ownClient.close();
    await own.close();
  };
  before(async () => {
    const user = registry.credentials;
    if (!user) throw new Error('basic-auth registry without credentials');
    await mkdir(join(dir, 'docker'), { recursive: true });
    await writeFile(join(dir, 'docker', 'config.json'), Buffer.from(dockerConfigJson(registry.host, user.username, user.password), 'base64'));
  });
  const admit = async (): Promise<{ allowed: boolean; status?: { message: string } }> => {
    const reply = await ownClient.post(
      '/validate?timeout=20s',
      JSON.stringify(podReview({ containers: [{ name: 'app', image: seeded.get('distroless-static:nonroot').ref }] }, { namespace: 'shop' })),
    );
    assert.equal(reply.status, 200, reply.body);
    return (reply.json as { response: { allowed: boolean; status?: { message: string } } }).response;
  };
  it('are not a fallback for a pod without pull secrets (a tenant would read what only the guard may)', async () => {
    await start([]);
    try {
      const response = await admit();
      assert.equal(response.allowed, false);
      assert.match(response.status?.message ?? '', /no credentials are configured/);
    } finally {
      await stop();
    }
  });
  it('serve pods only with --fallback-credentials', async () => {
    await start(['--fallback-credentials']);
    try {
      assert.equal((await admit()).allowed, true);
    } finally {
      await stop();
    }
  });
});
