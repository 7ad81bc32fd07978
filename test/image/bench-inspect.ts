/**
 * Measures inspection against the real test registry: a large single-layer image cold vs cached, the catalog cold
 * vs cached, and N concurrent admissions of one uncached image. Run:
 *   node_modules/.bin/node --import tsx test/image/bench-inspect.ts [sizeMB=200]
 */
import { createImageInspector } from '../../src/image/inspector.js';
import { buildLargeImage } from '../support/large-image.js';
import { CATALOG, seedImages } from '../support/images.js';
import { startRegistry } from '../support/registry.js';

const sizeMB = Number(process.argv[2] ?? 200);
const signal = (): AbortSignal => AbortSignal.timeout(300_000);
const ms = (t0: number): string => `${(performance.now() - t0).toFixed(1)} ms`;

const registry = await startRegistry();
try {
  let t0 = performance.now();
  const large = await buildLargeImage(registry, sizeMB, { withShell: true, shellAt: 'end' });
  console.log(`built+pushed large:${sizeMB}mb in ${ms(t0)}`);
  for (const earlyStop of [false, true]) {
    const inspector = createImageInspector({ earlyStop });
    t0 = performance.now();
    const facts = await inspector.inspect(large.ref, { signal: signal() });
    console.log(`large ${sizeMB} MB cold (earlyStop=${earlyStop}): ${ms(t0)} shells=${facts.shells.join(',')}`);
    t0 = performance.now();
    await inspector.inspect(large.ref, { signal: signal() });
    console.log(`large ${sizeMB} MB again by tag (1 HEAD): ${ms(t0)}`);
    t0 = performance.now();
    await inspector.inspect(large.pinned, { signal: signal() });
    console.log(`large ${sizeMB} MB again by digest: ${ms(t0)}`);
  }
  const seeded = await seedImages(registry, CATALOG);
  const inspector = createImageInspector();
  t0 = performance.now();
  for (const image of seeded.images) await inspector.inspect(image.ref, { signal: signal() });
  console.log(`catalog (${seeded.images.length} images) cold, one by one: ${ms(t0)}`);
  t0 = performance.now();
  for (const image of seeded.images) await inspector.inspect(image.ref, { signal: signal() });
  console.log(`catalog again by tag (1 HEAD each): ${ms(t0)}`);
  t0 = performance.now();
  for (let i = 0; i < 10; i++) for (const image of seeded.images) await inspector.inspect(image.pinned, { signal: signal() });
  console.log(`catalog by digest x10 (no request): ${ms(t0)}`);
  const fresh = createImageInspector();
  const debian = seeded.get('debian-full:12');
  registry.proxy.reset();
  t0 = performance.now();
  await Promise.all(Array.from({ length: 200 }, () => fresh.inspect(debian.ref, { signal: signal() })));
  const blobGets = registry.proxy.count({ method: 'GET', path: /\/blobs\// });
  console.log(`200 concurrent inspects of uncached debian-full:12: ${ms(t0)}, blob GETs ${blobGets}, HEADs ${registry.proxy.count({ method: 'HEAD' })}`);
} finally {
  await registry.stop();
}
