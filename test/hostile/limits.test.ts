/**
 * What one request may make the guard spend: distinct images inspected per review, registry requests in flight
 * across all reviews, and metric series created from the namespace a (possibly forged) review names.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { parseExposition } from '../support/prometheus.js';
import { podReview } from '../support/reviews.js';
import { startTestServer, type TestServer } from '../support/serve-fixture.js';
import { strictPolicy } from '../support/policies.js';

const POLICY = strictPolicy();

/** A registry that takes every request and never answers: what is in flight stays in flight. */
let silent: Server;
let silentHost = '';
let open = 0;
let peak = 0;
let received = 0;
let server: TestServer;

before(async () => {
  silent = createServer((_req, res) => {
    received++;
    open++;
    peak = Math.max(peak, open);
    res.on('close', () => open--);
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  silentHost = `127.0.0.1:${(silent.address() as AddressInfo).port}`;
  server = await startTestServer({ policy: POLICY, args: ['--max-registry-requests', '3', '--max-images-per-review', '8'] });
});

after(async () => {
  await server?.close();
  silent.closeAllConnections();
  await new Promise<void>((resolve) => silent.close(() => resolve()));
});

type Answer = { allowed: boolean; status?: { message: string } };

async function validate(images: readonly string[], namespace: string, timeout = '10s'): Promise<Answer> {
  const spec = { containers: images.map((image, i) => ({ name: `c${i}`, image })) };
  const reply = await server.client.post(`/validate?timeout=${timeout}`, JSON.stringify(podReview(spec, { namespace })));
  assert.equal(reply.status, 200, reply.body);
  return (reply.json as { response: Answer }).response;
}

describe('limits on what a review may spend', () => {
  it('a pod naming more distinct images than --max-images-per-review gets none inspected: failurePolicy decides, saying why', async () => {
    const before = received;
    const images = Array.from({ length: 9 }, (_, i) => `${silentHost}/many/app${i}:1`);
    const answer = await validate(images, 'team-a');
    assert.equal(answer.allowed, false);
    assert.match(answer.status?.message ?? '', /the pod names 9 distinct images, more than the 8 the guard inspects in one review/);
    assert.equal(received, before, 'not one registry request');
  });

  it('registry requests in flight are bounded across reviews by --max-registry-requests', async () => {
    const images = Array.from({ length: 6 }, (_, i) => `${silentHost}/slow/app${i}:1`);
    const answers = await Promise.all([validate(images, 'team-a', '2s'), validate(images.map((i) => i.replace('/slow/', '/slow2/')), 'team-b', '2s')]);
    for (const answer of answers) assert.equal(answer.allowed, false, 'failurePolicy Fail at the deadline');
    assert.ok(peak >= 1, 'the registry was asked');
    assert.ok(peak <= 3, `at most 3 registry requests at once, saw ${peak}`);
  });

  it('metric series are made only for namespaces known to exist: forged namespaces share one bucket', async () => {
    const hardenedless = [`${silentHost}/x/app:1`];
    for (let i = 0; i < 5; i++) await validate(hardenedless, `forged-${i}`, '1s');
    const reply = await server.client.get('/metrics');
    const series = [...parseExposition(reply.body).keys()].filter((k) => k.startsWith('distroless_guard_rule_decisions_total'));
    assert.ok(series.length > 0, 'rule decisions were counted');
    assert.ok(series.every((k) => !/resource_namespace="forged-/.test(k)), series.join('\n'));
    assert.ok(series.some((k) => k.includes('resource_namespace="_other"')), series.join('\n'));
  });
});
