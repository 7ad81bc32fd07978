/**
 * The admission's facts source against a real registry of its own (request counts are exact): what a warm admission
 * costs the registry, and concurrent admissions of one image sharing one lookup.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createImageInspector } from '../../src/image/inspector.js';
import type { CredentialLookup } from '../../src/image/inspector-types.js';
import { inspectorFacts } from '../../src/review/inspector-facts.js';
import type { FactsRequest } from '../../src/review/facts-source.js';
import type { FactsResult } from '../../src/rules/types.js';
import { CATALOG, seedImages, type SeededCatalog } from '../support/images.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';

const NAME = 'distroless-static:nonroot';
const minute = (): AbortSignal => AbortSignal.timeout(60_000);
const request = (image: string, pod: Partial<FactsRequest> = {}): FactsRequest => ({
  image,
  namespace: 'shop',
  serviceAccount: 'default',
  imagePullSecrets: [],
  ...pod,
});
const digestOf = (result: FactsResult): string => (result.kind === 'known' ? result.facts.digest : `not known: ${JSON.stringify(result)}`);

describe('inspector facts for admissions, against a real registry', () => {
  let registry: TestRegistry;
  let seeded: SeededCatalog;

  before(async () => {
    registry = await startRegistry();
    seeded = await seedImages(registry, CATALOG.filter((e) => e.name === NAME));
  });
  after(async () => registry.stop());
  beforeEach(() => registry.proxy.reset());

  it('a digest-pinned image inspected once is answered from memory: no registry request, the same facts', async () => {
    const facts = inspectorFacts(createImageInspector());
    const image = seeded.get(NAME);
    const first = await facts(request(image.pinned), minute());
    assert.ok(registry.proxy.count() > 0);
    registry.proxy.reset();
    const again = await Promise.all(Array.from({ length: 10 }, () => facts(request(image.pinned, { namespace: 'other' }), minute())));
    assert.equal(registry.proxy.count(), 0);
    for (const result of again) assert.deepEqual(result, first);
  });

  // The tag cache off (tagTtlMs 0), so that each lookup's registry traffic shows; test/faults/tag-cache.test.ts has it on.
  it('concurrent admissions of one tag with the same pull credentials share one HEAD; with no tag TTL the next resolves it again', async () => {
    const facts = inspectorFacts(createImageInspector({ tagTtlMs: 0 }));
    const image = seeded.get(NAME);
    await facts(request(image.ref), minute()); // warm: manifest, config and layers cached by digest
    registry.proxy.reset();

    const burst = await Promise.all(Array.from({ length: 20 }, () => facts(request(image.ref, { imagePullSecrets: ['regcred'] }), minute())));
    for (const result of burst) assert.equal(digestOf(result), image.digest);
    assert.equal(registry.proxy.count({ method: 'HEAD' }), 1);
    assert.equal(registry.proxy.count(), 1);

    await facts(request(image.ref, { imagePullSecrets: ['regcred'] }), minute());
    assert.equal(registry.proxy.count({ method: 'HEAD' }), 2, 'a tag moves: a later admission asks the registry again');
  });

  it('pods with different pull credentials do not share a lookup: each is made with its own', async () => {
    const asked: string[] = [];
    // The lookup a pod's pull secrets give; records which pod's credentials the registry calls used.
    // Each pod's secrets hold a credential of their own (the test registry ignores it: no challenge).
    const pullCredentials = async (pod: FactsRequest): Promise<CredentialLookup> => () => {
      const who = `${pod.namespace}/${pod.serviceAccount}/${pod.imagePullSecrets.join(',')}`;
      asked.push(who);
      return { username: who, password: 'x' };
    };
    const facts = inspectorFacts(createImageInspector({ tagTtlMs: 0 }), pullCredentials);
    const image = seeded.get(NAME);
    await facts(request(image.ref), minute());
    registry.proxy.reset();
    asked.length = 0;

    const pods: Partial<FactsRequest>[] = [{}, { namespace: 'billing' }, { serviceAccount: 'deployer' }, { imagePullSecrets: ['regcred'] }];
    const results = await Promise.all(pods.flatMap((pod) => [facts(request(image.ref, pod), minute()), facts(request(image.ref, pod), minute())]));
    for (const result of results) assert.equal(digestOf(result), image.digest);
    assert.equal(registry.proxy.count({ method: 'HEAD' }), pods.length);
    assert.deepEqual([...new Set(asked)].sort(), ['billing/default/', 'shop/default/', 'shop/default/regcred', 'shop/deployer/'].sort());
  });
});
