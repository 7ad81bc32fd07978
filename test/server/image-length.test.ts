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

/** A policy matching images by globs that, as backtracking RegExps, took seconds against a 40k-character image. */
const policies = compilePolicies(
  parsePolicies(
    `apiVersion: distroless-guard.io/v1alpha1\nkind: DistrolessPolicy\nmetadata: {name: p}\nspec:\n` +
      `  mode: Enforce\n  match:\n    images: ['*/*:debug', '*a*a*a*a*a*b', '*']\n`,
    'p',
  ),
  { guardNamespace: 'distroless-guard' },
);
const inspected: string[] = [];
const facts: FactsSource = async (query) => {
  inspected.push(query.image);
  return { kind: 'unavailable', reason: 'not inspected in this test' };
};
const app = createApp({ review: { policies: () => policies, namespaces: staticNamespaces(), facts }, logger: pino({ level: 'silent' }) });

describe('an oversized image in a review', () => {
  it('a pod naming a 40k-character image gets 400 with the reason, quickly, and nothing is inspected', async () => {
    const image = `evil.example/${'a/'.repeat(20_000)}x`;
    const started = performance.now();
    const res = await request(app).post('/validate').send(podReview(podSpec('nginx', image))).expect(400);
    const elapsed = performance.now() - started;
    assert.equal(res.body.kind, 'Status');
    assert.equal(res.body.message, `request.object.spec.containers[1].image is ${image.length} characters long: an image reference is at most 4096`);
    assert.deepEqual(inspected, []);
    assert.ok(elapsed < 1_000, `answered in ${elapsed.toFixed(0)} ms`);
  });
});
