import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import request from 'supertest';
import { compilePolicies } from '../../src/policy/compile.js';
import { parsePolicies } from '../../src/policy/load.js';
import type { FactsSource } from '../../src/review/facts-source.js';
import { staticNamespaces } from '../../src/review/namespace-directory.js';
import { createApp } from '../../src/server/app.js';
import { podReview, podSpec } from '../support/reviews.js';

const policyWith = (failurePolicy: 'Fail' | 'Ignore') =>
  compilePolicies(
    parsePolicies(
      `apiVersion: distroless-guard.io/v1alpha1\nkind: DistrolessPolicy\nmetadata: {name: p}\nspec:\n  mode: Enforce\n  failurePolicy: ${failurePolicy}\n`,
      'p',
    ),
    { guardNamespace: 'distroless-guard' },
  );

/** A facts source that ignores its deadline: the server must still answer before the API server gives up. */
const stuck: FactsSource = () => new Promise(() => undefined);
/** A facts source that honours its deadline, as the real inspector does. */
const slowButPolite: FactsSource = (_image, signal) =>
  new Promise((resolve) => signal.addEventListener('abort', () => resolve({ kind: 'unavailable', reason: 'registry did not answer before the deadline' })));

const app = (facts: FactsSource, failurePolicy: 'Fail' | 'Ignore') =>
  createApp({ review: { policies: () => policyWith(failurePolicy), namespaces: staticNamespaces(), facts }, logger: pino({ level: 'silent' }) });

describe('answering before ?timeout=, always', () => {
  it('a review stuck past the deadline is answered just before it, denied under failurePolicy Fail', async () => {
    const started = performance.now();
    const res = await request(app(stuck, 'Fail')).post('/validate?timeout=2s').send(podReview(podSpec('nginx'))).expect(200);
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 2_000 && elapsed >= 1_400, `answered after ${elapsed} ms, before the API server's 2 s deadline`);
    assert.equal(res.body.response.allowed, false);
    assert.match(res.body.response.status.message, /could not decide within the 2s webhook timeout \(failurePolicy: Fail in p\)/);
  });
  it('under failurePolicy Ignore the stuck review is admitted with a warning', async () => {
    const res = await request(app(stuck, 'Ignore')).post('/validate?timeout=1s').send(podReview(podSpec('nginx'))).expect(200);
    assert.equal(res.body.response.allowed, true);
    assert.match(res.body.response.warnings[0], /admitted \(failurePolicy: Ignore\)/);
  });
  it('a facts source that honours the work budget lets the rules decide, naming what failed', async () => {
    const started = performance.now();
    const res = await request(app(slowButPolite, 'Fail')).post('/validate?timeout=2s').send(podReview(podSpec('nginx'))).expect(200);
    assert.ok(performance.now() - started < 1_500, 'decided at the work budget (70 %), before the last resort');
    assert.equal(res.body.response.allowed, false);
    assert.match(
      res.body.response.status.message,
      /\[p\/noShell\] container "app" \(nginx\): could not inspect image: registry did not answer before the deadline/,
    );
  });
});
