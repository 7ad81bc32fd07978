/** Test helper: the part of real facts that a catalog entry's `expected` pins down. */
import type { ImageFacts } from '../../src/image/facts/types.js';
import type { ExpectedFacts } from '../support/images.js';

/** The facts a catalog entry pins down, taken from real facts (scan and digests left out). */
export function comparable(facts: ImageFacts): ExpectedFacts {
  return {
    shells: facts.shells,
    packageManagers: facts.packageManagers,
    user: facts.user,
    nonRoot: facts.nonRoot,
    hasTmpDir: facts.hasTmpDir,
    debugVariant: facts.debugVariant,
    distroless: facts.distroless,
    base: facts.base,
    distribution: facts.distribution,
    runtimes: facts.runtimes,
    platforms: facts.platforms.map((p) => ({
      platform: p.platform,
      shells: p.shells,
      packageManagers: p.packageManagers,
      user: p.user,
      nonRoot: p.nonRoot,
      hasTmpDir: p.hasTmpDir,
      debugVariant: p.debugVariant,
      distroless: p.distroless,
      base: p.base,
      distribution: p.distribution,
      runtimes: p.runtimes,
    })),
  };
}
