import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { connect } from 'node:tls';
import { apply_patch } from 'jsonpatch';
import request from 'supertest';
import { startServe, type ServeHandle } from '../../src/cli/serve.js';
import { apiserverClient, SERVICE_DNS_NAME } from '../support/https-client.js';
import { admissionReview, decodePatch, objectOf, podReview, podSpec } from '../support/reviews.js';

const POLICY = `apiVersion: distroless-guard.io/v1alpha1
kind: DistrolessPolicy
metadata:
  name: test
spec:
  mode: Enforce
  production:
    namespaceSelector:
      matchLabels: {environment: production}
  rules:
    noPrivilegeEscalation: {action: DryRun}
  mutate: {action: Enforce}
`;

const HARDENED = { runAsNonRoot: true, allowPrivilegeEscalation: false, seccompProfile: { type: 'RuntimeDefault' }, capabilities: { drop: ['ALL'] } };
const UID = 'b4f0c0de-1111-4e2d-9c1a-000000000001';
const ok = (extra: object = {}) => ({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: UID, allowed: true, ...extra } });
const status400 = (message: string) => ({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 400, reason: 'BadRequest', message });

let dir: string;
let serve: ServeHandle;
let ca: string;
let client: ReturnType<typeof apiserverClient>;
const logs = new PassThrough();
const logLines: string[] = [];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dg-serve-'));
  await writeFile(join(dir, 'policy.yaml'), POLICY);
  logs.on('data', (chunk: Buffer) => logLines.push(...chunk.toString().split('\n').filter(Boolean)));
  serve = await startServe(
    [
      '--port',
      '0', '--metrics-port', '0', '--host', '127.0.0.1', '--certs-dir', join(dir, 'certs'), '--policy', join(dir, 'policy.yaml'),
      '--namespace-labels', 'shop=environment=production', '--offline',
    ],
    { stdout: logs, stderr: new PassThrough(), env: {}, cwd: dir },
  );
  ca = await readFile(serve.caPath ?? '', 'utf8');
  client = apiserverClient(serve.port, ca);
});

after(async () => {
  client.close();
  await serve.close();
  await rm(dir, { recursive: true, force: true });
});

const debugPodInProduction = podReview(podSpec('gcr.io/distroless/static:debug'), { namespace: 'shop' });
// Offline (serve --offline): the tag alone denies it; the rules whose answer needs the image are not checked (not denied,
// and not annotated either: the whole server was told not to inspect).
const DEBUG_POD_DENIAL = ok({
  allowed: false,
  status: {
    code: 403,
    message:
      '[test/noDebugTag] container "app" (gcr.io/distroless/static:debug): image tag ":debug" is a debug variant. ' +
      'Fix: use gcr.io/distroless/static:latest (the tag without "debug")',
  },
  warnings: ['[distroless-guard] test/noPrivilegeEscalation would deny container app: allowPrivilegeEscalation unset, no drop ALL'],
  auditAnnotations: {
    'test.noPrivilegeEscalation':
      'DryRun: container "app" (gcr.io/distroless/static:debug): allowPrivilegeEscalation unset, no drop ALL. ' +
      'Fix: set allowPrivilegeEscalation: false, set capabilities.drop: [ALL]',
    'test.noDebugTag':
      'Enforce: container "app" (gcr.io/distroless/static:debug): image tag ":debug" is a debug variant. ' +
      'Fix: use gcr.io/distroless/static:latest (the tag without "debug")',
  },
});

const hardenedSpec = { containers: [{ name: 'app', image: 'gcr.io/distroless/static:nonroot', securityContext: HARDENED }] };
const deployment = objectOf('Deployment', 'web', hardenedSpec);
const scaled = structuredClone(deployment) as { spec: { replicas: number } };
scaled.spec.replicas = 5;

interface Case {
  readonly name: string;
  readonly body: unknown;
  readonly path?: string;
  readonly status: number;
  readonly response: unknown;
}

const CASES: Case[] = [
  {
    name: 'a debug image in production is denied by its tag, with the fix; offline, nonRoot (it needs the image) is not denied',
    body: debugPodInProduction, status: 200, response: DEBUG_POD_DENIAL,
  },
  {
    name: 'the same review with dryRun: true gets the same answer (no side effects, full answer)',
    body: podReview(podSpec('gcr.io/distroless/static:debug'), { namespace: 'shop', dryRun: true }), status: 200,
    response: DEBUG_POD_DENIAL,
  },
  {
    name: 'a hardened distroless Pod in production is allowed with nothing to say',
    body: podReview(hardenedSpec, { namespace: 'shop' }), status: 200, response: ok(),
  },
  {
    name: 'a Deployment running as root is denied at apply time, not later at its ReplicaSet',
    body: admissionReview(
      'Deployment',
      objectOf('Deployment', 'web', { containers: [{ name: 'app', image: 'nginx', securityContext: { ...HARDENED, runAsUser: 0, runAsNonRoot: undefined } }] }),
    ),
    status: 200,
    response: ok({
      allowed: false,
      status: { code: 403, message: '[test/nonRoot] container "app" (nginx): runs as root (runAsUser: 0). Fix: set runAsUser to a non-zero uid, e.g. 65532' },
      auditAnnotations: { 'test.nonRoot': 'Enforce: container "app" (nginx): runs as root (runAsUser: 0). Fix: set runAsUser to a non-zero uid, e.g. 65532' },
    }),
  },
  { name: 'a hardened CronJob is allowed', body: admissionReview('CronJob', objectOf('CronJob', 'nightly', hardenedSpec)), status: 200, response: ok() },
  {
    name: 'kubectl debug in production is denied, judging only the new ephemeral container',
    body: admissionReview(
      'Pod',
      objectOf('Pod', 'web', { ...hardenedSpec, ephemeralContainers: [{ name: 'debugger', image: 'busybox', securityContext: HARDENED }] }),
      { namespace: 'shop', operation: 'UPDATE', subResource: 'ephemeralcontainers', oldObject: objectOf('Pod', 'web', hardenedSpec) },
    ),
    status: 200,
    response: ok({
      allowed: false,
      status: {
        code: 403,
        message:
          '[test/noDebugContainers] ephemeral container "debugger" (busybox): ' +
          'ephemeral container "debugger" (kubectl debug) is not allowed in a production namespace. ' +
          'Fix: debug a copy outside production (kubectl debug --copy-to, in a non-production namespace)',
      },
      auditAnnotations: {
        'test.noDebugContainers':
          'Enforce: ephemeral container "debugger" (busybox): ephemeral container "debugger" (kubectl debug) is not allowed in a production namespace. ' +
          'Fix: debug a copy outside production (kubectl debug --copy-to, in a non-production namespace)',
      },
    }),
  },
  {
    name: 'an UPDATE that only scales a Deployment is allowed without re-judging its containers',
    body: admissionReview('Deployment', scaled, { operation: 'UPDATE', oldObject: deployment }), status: 200,
    response: ok(),
  },
  { name: 'a DELETE is allowed', body: podReview(podSpec('nginx'), { operation: 'DELETE' }), status: 200, response: ok() },
  {
    name: 'the pods/status subresource is allowed',
    body: podReview(podSpec('nginx'), { operation: 'UPDATE', subResource: 'status' }), status: 200, response: ok(),
  },
  {
    name: 'malformed JSON is a 400 saying so',
    body: '{"apiVersion": "admission.k8s.io/v1", "kind": ', status: 400,
    response: status400('request body is not valid JSON: Unexpected end of JSON input'),
  },
  {
    name: 'admission.k8s.io/v1beta1 is a 400 naming the supported version',
    body: { ...debugPodInProduction, apiVersion: 'admission.k8s.io/v1beta1' },
    status: 400,
    response: status400(
      'apiVersion "admission.k8s.io/v1beta1" is not supported: only admission.k8s.io/v1 (set admissionReviewVersions: [v1] in the webhook configuration)',
    ),
  },
  {
    name: 'a review without uid is a 400 (there is nothing to echo)',
    body: { ...debugPodInProduction, request: { ...(debugPodInProduction['request'] as object), uid: undefined } },
    status: 400,
    response: status400('request.uid is missing: it must be echoed in the response'),
  },
  {
    name: 'a malformed Pod is a 400 naming the field',
    body: admissionReview('Pod', { spec: { containers: 'nginx' } }), status: 400,
    response: status400('request.object.spec.containers must be an array'),
  },
];

describe('admission over real HTTPS, as kube-apiserver calls it', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const reply = await client.post(`${c.path ?? '/validate'}?timeout=10s`, typeof c.body === 'string' ? c.body : JSON.stringify(c.body));
      assert.equal(reply.status, c.status, reply.body);
      assert.deepEqual(reply.json, c.response);
    });
  }

  it('/mutate returns the exact hardening patch; it applies with jsonpatch, and the result passes /validate; a second /mutate is empty', async () => {
    const review = podReview(podSpec('gcr.io/distroless/static:nonroot'), { namespace: 'shop' });
    const first = await client.post('/mutate?timeout=10s', JSON.stringify(review));
    const response = (first.json as { response: { patch?: string; patchType?: string; allowed: boolean } }).response;
    assert.equal(response.allowed, true);
    assert.equal(response.patchType, 'JSONPatch');
    assert.deepEqual(decodePatch(response), [{ op: 'add', path: '/spec/containers/0/securityContext', value: HARDENED }]);

    const request = review['request'] as { object: unknown };
    const patched = apply_patch(structuredClone(request.object), decodePatch(response));
    const again = { ...review, request: { ...request, object: patched } };
    assert.deepEqual((await client.post('/validate', JSON.stringify(again))).json, ok());
    assert.deepEqual((await client.post('/mutate', JSON.stringify(again))).json, ok());
  });

  it('a 3 MiB review is accepted', async () => {
    const big = podReview(podSpec('gcr.io/distroless/static:nonroot'));
    ((big['request'] as { object: { metadata: Record<string, unknown> } }).object.metadata)['annotations'] = { blob: 'x'.repeat(3 * 1024 * 1024) };
    const reply = await client.post('/validate', JSON.stringify(big));
    assert.equal(reply.status, 200);
    assert.equal((reply.json as { response: { uid: string } }).response.uid, UID);
  });

  it('a body over 6 MiB is refused with 413, and the connection still serves the next review', async () => {
    const reply = await client.post('/validate', Buffer.alloc(6 * 1024 * 1024 + 1, 0x20));
    assert.equal(reply.status, 413);
    assert.deepEqual(reply.json, {
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      code: 413,
      reason: 'RequestEntityTooLarge',
      message: 'request body is larger than 6291456 bytes',
    });
    assert.equal((await client.post('/validate', JSON.stringify(debugPodInProduction))).status, 200);
  });

  it('logs a JSON line at info for an admission with something to say (uid, kind, namespace, decision, duration), none for a plain allow', async () => {
    const line = logLines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l['msg'] === 'admission' && l['namespace'] === 'shop' && l['decision'] === 'denied');
    assert.ok(line, 'an admission log line');
    assert.equal(line['uid'], UID);
    assert.equal(line['kind'], 'Pod');
    assert.equal(line['level'], 30);
    assert.equal(typeof line['durationMs'], 'number');

    // A pod the mutating webhook hardened: allowed with nothing to say, the bulk of a cluster's admissions.
    const quiet = podReview(podSpec('gcr.io/distroless/static:nonroot'), { namespace: 'shop', uid: 'quiet-1' });
    const patch = decodePatch(((await client.post('/mutate', JSON.stringify(quiet))).json as { response: { patch?: string } }).response);
    const request = quiet['request'] as { object: unknown };
    const hardened = { ...quiet, request: { ...request, uid: 'quiet-2', object: apply_patch(structuredClone(request.object), patch) } };
    assert.deepEqual((await client.post('/validate', JSON.stringify(hardened))).json, ok({ uid: 'quiet-2' }));
    await new Promise((resolve) => setImmediate(resolve));
    const quietLines = logLines.filter((l) => l.includes('"quiet-'));
    assert.deepEqual(quietLines, [], 'plain allows are logged at debug');
  });

  it('health and readiness answer, and a wrong method is a 405 (checked with supertest over HTTPS)', async () => {
    const agent = request(`https://127.0.0.1:${serve.port}`);
    await agent.get('/healthz').ca(ca).expect(200, 'ok');
    await agent.get('/readyz').ca(ca).expect(200, /readyz check passed\n$/);
    const res = await agent.get('/validate').ca(ca).expect(405);
    assert.equal((res.body as { reason: string }).reason, 'MethodNotAllowed');
    await agent.post('/nope').ca(ca).expect(404);
  });
});

describe('the serving certificate, as kube-apiserver verifies it', () => {
  it(`is trusted through the generated CA for ${SERVICE_DNS_NAME}`, async () => {
    const socket = connect({ host: '127.0.0.1', port: serve.port, servername: SERVICE_DNS_NAME, ca });
    await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
    assert.equal(socket.authorized, true);
    const cert = socket.getPeerCertificate();
    assert.match(cert.subjectaltname ?? '', /DNS:distroless-guard\.distroless-guard\.svc/);
    assert.match(cert.subjectaltname ?? '', /IP Address:127\.0\.0\.1/);
    socket.destroy();
  });
  it('is refused for a name it was not issued for', async () => {
    const socket = connect({ host: '127.0.0.1', port: serve.port, servername: 'evil.example.com', ca });
    const err = await new Promise<Error>((resolve) => socket.once('error', resolve));
    assert.match(err.message, /Hostname\/IP does not match/);
  });
  it('is refused without the CA', async () => {
    const socket = connect({ host: '127.0.0.1', port: serve.port, servername: SERVICE_DNS_NAME });
    const err = await new Promise<Error>((resolve) => socket.once('error', resolve));
    assert.match(err.message, /self-signed|unable to verify|self signed/);
  });
});
