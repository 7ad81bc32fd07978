import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { startServe, type ServeHandle } from '../../src/cli/serve.js';
import { apiserverClient } from '../support/https-client.js';
import { freePort } from '../support/net.js';
import { parseExposition } from '../support/prometheus.js';
import { admissionReview, objectOf, podReview, podSpec } from '../support/reviews.js';

const POLICY = `apiVersion: distroless-guard.io/v1alpha1
kind: DistrolessPolicy
metadata: {name: test}
spec:
  mode: Enforce
  production: {namespaces: ["shop"]}
  rules:
    noPrivilegeEscalation: {action: DryRun}
`;
const HARDENED = {
  runAsNonRoot: true,
  runAsUser: 65532,
  allowPrivilegeEscalation: false,
  seccompProfile: { type: 'RuntimeDefault' },
  capabilities: { drop: ['ALL'] },
};

let dir: string;
let serve: ServeHandle;
let client: ReturnType<typeof apiserverClient>;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dg-metrics-'));
  await writeFile(join(dir, 'policy.yaml'), POLICY);
  serve = await startServe(
    [
      '--port',
      '0',
      '--metrics-port',
      String(await freePort()),
      '--host',
      '127.0.0.1',
      '--certs-dir',
      join(dir, 'certs'),
      '--policy',
      join(dir, 'policy.yaml'),
      '--offline',
      '--log-level',
      'silent',
    ],
    {
      stdout: new PassThrough(),
      stderr: new PassThrough(),
      env: { DISTROLESS_GUARD_REVISION: 'e2f1c0d' },
      cwd: dir,
    },
  );
  client = apiserverClient(serve.port, await readFile(serve.caPath ?? '', 'utf8'));
});
after(async () => {
  client.close();
  await serve.close();
  await rm(dir, { recursive: true, force: true });
});

describe('/metrics', () => {
  it('counts admissions and their latency by webhook and decision, in the Prometheus text format', async () => {
    const hardened = { containers: [{ name: 'app', image: 'gcr.io/distroless/static:nonroot', securityContext: HARDENED }] };
    const reviews: Array<[string, unknown, number]> = [
      ['/validate', podReview(hardened), 200],
      ['/validate', podReview(podSpec('gcr.io/distroless/static:debug'), { namespace: 'shop' }), 200],
      [
        '/validate',
        podReview({ containers: [{ name: 'app', image: 'gcr.io/distroless/static:nonroot', securityContext: { runAsNonRoot: true, runAsUser: 65532 } }] }),
        200,
      ],
      ['/mutate', admissionReview('Deployment', objectOf('Deployment', 'web', hardened)), 200],
      ['/validate', { apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview' }, 400],
    ];
    for (const [path, body, status] of reviews) assert.equal((await client.post(`${path}?timeout=10s`, JSON.stringify(body))).status, status);

    const reply = await client.get('/metrics');
    assert.equal(reply.status, 200);
    const samples = parseExposition(reply.body);
    const expected: Record<string, number> = {
      'distroless_guard_admission_requests_total{decision="allowed",webhook="validate"}': 1,
      'distroless_guard_admission_requests_total{decision="denied",webhook="validate"}': 1,
      'distroless_guard_admission_requests_total{decision="allowed-with-warnings",webhook="validate"}': 1,
      'distroless_guard_admission_requests_total{decision="allowed",webhook="mutate"}': 1,
      'distroless_guard_admission_requests_total{decision="bad-request",webhook="validate"}': 1,
      'distroless_guard_admission_duration_seconds_count{decision="denied",webhook="validate"}': 1,
      'distroless_guard_admission_duration_seconds_bucket{decision="denied",le="+Inf",webhook="validate"}': 1,
      'distroless_guard_admission_duration_seconds_bucket{decision="denied",le="30",webhook="validate"}': 1,
      'distroless_guard_policy_reloads_total{result="success"}': 1,
    };
    for (const [key, value] of Object.entries(expected)) assert.equal(samples.get(key), value, key);
    const sum = samples.get('distroless_guard_admission_duration_seconds_sum{decision="denied",webhook="validate"}') ?? -1;
    assert.ok(sum > 0 && sum < 1, `latency recorded in seconds (${sum})`);
    assert.ok(samples.has('distroless_guard_tls_certificate_not_after_timestamp_seconds'));
    assert.ok((samples.get('distroless_guard_tls_certificate_not_after_timestamp_seconds') ?? 0) * 1000 > Date.now());
    assert.ok(samples.has('process_resident_memory_bytes'), 'process metrics');
    for (const name of [
      'distroless_guard_image_inspections_total',
      'distroless_guard_image_cache_hits_total',
      'distroless_guard_image_cache_misses_total',
      'distroless_guard_registry_errors_total',
    ]) {
      assert.match(reply.body, new RegExp(`^# TYPE ${name} counter$`, 'm'));
    }
  });

  it('says which build runs: distroless_guard_build_info is 1 with version (package.json), node_version and revision', async () => {
    const { version } = JSON.parse(await readFile(join(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string };
    const samples = parseExposition((await client.get('/metrics')).body);
    const info = [...samples].filter(([key]) => key.startsWith('distroless_guard_build_info'));
    assert.deepEqual(info, [[`distroless_guard_build_info{node_version="${process.version}",revision="e2f1c0d",version="${version}"}`, 1]]);
  });

  it('serves the same metrics over plain HTTP on --metrics-port, and nothing else there', async () => {
    const port = serve.metricsPort ?? 0;
    const plain = await fetch(`http://127.0.0.1:${port}/metrics`);
    assert.equal(plain.status, 200);
    assert.match(plain.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const samples = parseExposition(await plain.text());
    assert.equal(samples.get('distroless_guard_admission_requests_total{decision="denied",webhook="validate"}'), 1);
    const elsewhere = [['POST', '/validate'], ['POST', '/mutate'], ['GET', '/readyz'], ['GET', '/healthz'], ['GET', '/']] as const;
    for (const [method, path] of elsewhere) {
      const other = await fetch(`http://127.0.0.1:${port}${path}`, { method, ...(method === 'POST' ? { body: '{}' } : {}) });
      assert.equal(other.status, 404, `${method} ${path}`);
      await other.arrayBuffer();
    }
    assert.equal((await fetch(`http://127.0.0.1:${port}/metrics`, { method: 'POST', body: '' })).status, 405);
  });

  it('other modules add their own metrics to the same registry', async () => {
    const decisions = serve.metrics.counter({ name: 'distroless_guard_test_decisions_total', help: 'test', labelNames: ['policy'] });
    decisions.inc({ policy: 'p' });
    assert.equal(parseExposition((await client.get('/metrics')).body).get('distroless_guard_test_decisions_total{policy="p"}'), 1);
  });
});

describe('/readyz and /healthz', () => {
  it('/readyz lists the named checks; one failing makes it 503 until it passes', async () => {
    const ok = await client.get('/readyz');
    assert.equal(ok.status, 200);
    assert.equal(ok.body, '[+]shutdown ok\n[+]tls ok\n[+]policies ok\nreadyz check passed\n');

    const informers = serve.readiness.register('informers', 'DistrolessPolicy informer not synced');
    const notYet = await client.get('/readyz');
    assert.equal(notYet.status, 503);
    assert.match(notYet.body, /^\[-\]informers failed: DistrolessPolicy informer not synced$/m);
    assert.match(notYet.body, /readyz check failed\n$/);
    informers.ready();
    assert.equal((await client.get('/readyz')).status, 200);
    assert.equal((await client.get('/healthz')).status, 200);
  });
});
