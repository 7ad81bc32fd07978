/**
 * Every catalog image, inspected through the real registry of the test bed, yields the facts the catalog expects:
 * by tag, by pinned digest, cold and from cache.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createImageInspector, type CachingImageInspector } from '../../src/image/inspector.js';
import { CATALOG } from '../support/images.js';
import { comparable } from './compare.js';
import { testRegistryWithImages, type SeededRegistry } from '../support/seeded.js';

const timeout = (): AbortSignal => AbortSignal.timeout(60_000);

describe('inspecting the catalog through the real registry', () => {
  let seeded: SeededRegistry;
  let inspector: CachingImageInspector;
  const times = { cold: [] as number[], pinned: [] as number[], tag: [] as number[] };

  before(async () => {
    seeded = await testRegistryWithImages();
    inspector = createImageInspector();
  });
  // The seeded registry is a child process: left running it would keep this test file from exiting.
  after(async () => {
    const median = (xs: number[]): string => ([...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0).toFixed(1);
    const total = (xs: number[]): string => xs.reduce((a, b) => a + b, 0).toFixed(0);
    // eslint-disable-next-line no-console
    console.log(
      `# catalog inspect ms: cold median ${median(times.cold)} total ${total(times.cold)}; ` +
        `pinned (cached) median ${median(times.pinned)}; tag (cached, one HEAD) median ${median(times.tag)}`,
    );
    await seeded.registry?.stop();
  });

  for (const entry of CATALOG) {
    describe(entry.name, () => {
      it(`by tag, cold: ${entry.about}`, async () => {
        const image = seeded.get(entry.name);
        const t0 = performance.now();
        const facts = await inspector.inspect(image.ref, { signal: timeout() });
        times.cold.push(performance.now() - t0);
        assert.deepEqual(comparable(facts), entry.expected);
        assert.equal(facts.image, image.ref);
        assert.equal(facts.digest, image.digest);
        for (const p of facts.platforms) assert.deepEqual(p.scan, { layersTotal: p.scan.layersTotal, layersRead: p.scan.layersTotal, stoppedEarly: false });
      });

      it('by pinned digest, from cache: the same facts', async () => {
        const image = seeded.get(entry.name);
        const t0 = performance.now();
        const facts = await inspector.inspect(image.pinned, { signal: timeout() });
        times.pinned.push(performance.now() - t0);
        assert.deepEqual(comparable(facts), entry.expected);
        assert.equal(facts.image, image.pinned);
        assert.equal(facts.digest, image.digest);
      });

      it('by tag again, from cache after one HEAD: the same facts', async () => {
        const image = seeded.get(entry.name);
        const t0 = performance.now();
        const facts = await inspector.inspect(image.ref, { signal: timeout() });
        times.tag.push(performance.now() - t0);
        assert.deepEqual(comparable(facts), entry.expected);
      });

      it('with early stop (fresh inspector): shells found iff the image has one, partial scans marked', async () => {
        const image = seeded.get(entry.name);
        const facts = await createImageInspector({ earlyStop: true }).inspect(image.ref, { signal: timeout() });
        assert.equal(facts.shells.length > 0, entry.expected.shells.length > 0);
        for (const p of facts.platforms) {
          if (p.scan.stoppedEarly) assert.ok(p.scan.layersRead < p.scan.layersTotal);
          else assert.equal(p.scan.layersRead, p.scan.layersTotal);
        }
      });
    });
  }
});
