/**
 * Work in flight is shared only between callers with the same access. A tenant naming the digest of another
 * tenant's image on a registry that never answers (or without the pull secret) must neither stall nor borrow the
 * other tenant's fetch: each waits on its own registry, with its own credentials.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createImageInspector } from '../../src/image/inspector.js';
import { testRegistryWithImages, type SeededRegistry } from '../support/seeded.js';

let seeded: SeededRegistry;
let silent: Server;
let silentHost = '';
let silentRequests = 0;

before(async () => {
  seeded = await testRegistryWithImages();
  // Accepts every request and never answers it.
  silent = createServer(() => {
    silentRequests++;
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  silentHost = `127.0.0.1:${(silent.address() as AddressInfo).port}`;
});

after(async () => {
  silent.closeAllConnections();
  await new Promise<void>((resolve) => silent.close(() => resolve()));
});

describe('in-flight sharing is keyed by registry, repository and credential', () => {
  it("a stalled registry naming the same digest does not make another tenant's inspection wait", async () => {
    const image = seeded.get('distroless-static:nonroot');
    const inspector = createImageInspector();
    const attacker = new AbortController();
    const stalled = inspector.inspect(`${silentHost}/evil/copy@${image.digest}`, { signal: attacker.signal });
    stalled.catch(() => undefined);
    // Let the attacker's fetch of the manifest be in flight before the victim asks.
    for (let i = 0; i < 50 && silentRequests === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(silentRequests > 0, 'the stalled registry was asked first');
    const facts = await inspector.inspect(`${image.ref.replace(/:[^:/]+$/, '')}@${image.digest}`, { signal: AbortSignal.timeout(5_000) });
    assert.equal(facts.digest, image.digest);
    attacker.abort();
    await assert.rejects(stalled);
  });

  it('callers with different credentials for the same repository and digest each fetch; the same access shares', async () => {
    const image = seeded.get('distroless-static:debug');
    const registry = seeded.registry;
    assert.ok(registry !== undefined, 'this process started the test registry');
    const ref = `${image.ref.replace(/:[^:/]+$/, '')}@${image.digest}`;
    const manifestGets = (): number => registry.requests().filter((r) => r.method === 'GET' && r.path.endsWith(`/manifests/${image.digest}`)).length;
    const credentials = () => ({ username: 'tenant-b', password: 'b' });
    const inspect = (inspector: ReturnType<typeof createImageInspector>, withSecret: boolean) =>
      inspector.inspect(ref, { signal: AbortSignal.timeout(10_000), ...(withSecret ? { credentials } : {}) });

    const sameAccess = createImageInspector();
    let before = manifestGets();
    await Promise.all([inspect(sameAccess, false), inspect(sameAccess, false)]);
    assert.equal(manifestGets() - before, 1, 'two anonymous callers share one manifest fetch');

    const differentAccess = createImageInspector();
    before = manifestGets();
    const [a, b] = await Promise.all([inspect(differentAccess, false), inspect(differentAccess, true)]);
    assert.equal(a.digest, b.digest);
    assert.equal(manifestGets() - before, 2, 'an anonymous caller and one with a pull secret fetch apart');
  });
});
