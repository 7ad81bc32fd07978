import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import pino from 'pino';
import request from 'supertest';
import { combinePlatforms, derivePlatformFacts } from '../../src/image/facts/derive.js';
import { distrolessStaticNonroot } from '../support/sample-images.js';
import { compilePolicies } from '../../src/policy/compile.js';
import { parsePolicies } from '../../src/policy/load.js';
import { staticNamespaces } from '../../src/review/namespace-directory.js';
import { createApp } from '../../src/server/app.js';
import { renderKustomization } from '../support/kustomize.js';
import { admissionReview, decodePatch } from '../support/reviews.js';

/**
 * The guard passes its own policy: its Deployment, judged as if it were in a production namespace (its own namespace
 * is never judged) by a policy enforcing every rule, with the facts of a distroless nonroot image (what the
 * Dockerfile's runtime stage is: no shell, no package manager, user 65532).
 */
const STRICT = `apiVersion: distroless-guard.io/v1alpha1
kind: DistrolessPolicy
metadata: {name: strict}
spec:
  mode: Enforce
  failurePolicy: Fail
  production: {namespaces: ["shop"]}
  mutate: {action: Enforce}
`;

const layers = distrolessStaticNonroot.layers;
const platform = derivePlatformFacts({
  digest: 'sha256:guard',
  config: distrolessStaticNonroot.config,
  layers,
  scan: { layersTotal: layers.length, layersRead: layers.length, stoppedEarly: false },
});
const facts = combinePlatforms('distroless-guard:0.1.0', 'sha256:guard', [platform]);

describe("the guard's own Deployment", () => {
  it('is admitted by a policy enforcing every rule in a production namespace, with no warning and nothing to harden but the digest pin', async () => {
    const deployment = (await renderKustomization(resolve(import.meta.dirname, '../../manifests'))).objects.find((o) => o.kind === 'Deployment');
    assert.ok(deployment);
    assert.equal(facts.distroless, true);
    const app = createApp({
      review: {
        policies: () => compilePolicies(parsePolicies(STRICT, 'strict'), { guardNamespace: 'distroless-guard' }),
        namespaces: staticNamespaces(),
        facts: async () => ({ kind: 'known', facts }),
      },
      logger: pino({ level: 'silent' }),
    });
    const review = admissionReview('Deployment', { ...deployment, metadata: { ...deployment.metadata, namespace: 'shop' } }, { namespace: 'shop' });
    const validated = await request(app).post('/validate?timeout=10s').send(review).expect(200);
    assert.deepEqual(validated.body.response, { uid: 'b4f0c0de-1111-4e2d-9c1a-000000000001', allowed: true });
    const mutated = await request(app).post('/mutate?timeout=10s').send(review).expect(200);
    // Only the digest pin: no manifest can name the digest of an image its user builds.
    assert.deepEqual(decodePatch(mutated.body.response), [
      { op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'distroless-guard:0.1.0@sha256:guard' },
    ]);
    assert.equal(mutated.body.response.warnings, undefined);
  });
});
