/**
 * One seeded registry per test process (or per test run): with DG_TEST_REGISTRY=host:port set (by a script that
 * ran seed-main.ts) the catalog is expected there already; otherwise a registry is started and seeded here, and
 * stopped when the process exits.
 */
import { describeSeeded, seedImages } from './images.js';
import type { SeededCatalog } from './images.js';
import { startRegistry } from './registry.js';
import type { TestRegistry } from './registry.js';

export interface SeededRegistry extends SeededCatalog {
  readonly url: string;
  /** The registry started by this process; undefined when DG_TEST_REGISTRY points at a shared one. */
  readonly registry: TestRegistry | undefined;
}

let memo: Promise<SeededRegistry> | undefined;

export function testRegistryWithImages(): Promise<SeededRegistry> {
  memo ??= open().catch((error: unknown) => {
    memo = undefined;
    throw error;
  });
  return memo;
}

async function open(): Promise<SeededRegistry> {
  const shared = process.env['DG_TEST_REGISTRY'];
  if (shared !== undefined && shared !== '') {
    const catalog = await describeSeeded({ host: shared });
    return { ...catalog, url: `http://${shared}`, registry: undefined };
  }
  const registry = await startRegistry();
  // Shared by every test of this process until it exits; killed then by the exit-time cleanup.
  registry.unref();
  try {
    const catalog = await seedImages(registry);
    return { ...catalog, url: registry.url, registry };
  } catch (error) {
    await registry.stop();
    throw error;
  }
}
