/**
 * Starts a registry, seeds the test-image catalog, prints "host:port" on stdout (one line) and serves until SIGINT
 * or SIGTERM. For scripts that share one registry across test processes:
 *   node --import tsx test/support/seed-main.ts > host.txt & ... DG_TEST_REGISTRY=$(head -1 host.txt) ...
 */
import { seedImages } from './images.js';
import { startRegistry } from './registry.js';

const started = Date.now();
const registry = await startRegistry();
try {
  const catalog = await seedImages(registry);
  process.stderr.write(`seeded ${catalog.images.length} images in ${Date.now() - started} ms\n`);
  process.stdout.write(`${registry.host}\n`);
} catch (error) {
  await registry.stop();
  throw error;
}
await new Promise<void>((resolve) => {
  process.once('SIGINT', () => resolve());
  process.once('SIGTERM', () => resolve());
});
await registry.stop();
