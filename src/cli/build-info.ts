import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { BuildInfo } from '../observe/metrics.js';

/** The repository's package.json (src/cli and dist/cli both sit two levels below the root; the image copies it). */
const PACKAGE_JSON = resolve(import.meta.dirname, '../../package.json');

/**
 * What `distroless_guard_build_info` reports: package.json's version, and the source revision when the build set
 * DISTROLESS_GUARD_REVISION (e.g. a Dockerfile `ARG REVISION` passed on as that variable), else "unknown".
 */
export async function readBuildInfo(env: Readonly<Record<string, string | undefined>>): Promise<BuildInfo> {
  let version = 'unknown';
  try {
    const parsed = JSON.parse(await readFile(PACKAGE_JSON, 'utf8')) as { version?: unknown };
    if (typeof parsed.version === 'string') version = parsed.version;
  } catch {
    // A build without package.json still serves; the metric then says so.
  }
  const revision = env['DISTROLESS_GUARD_REVISION']?.trim();
  return { version, revision: revision !== undefined && /^[\w.+-]{1,64}$/.test(revision) ? revision : 'unknown' };
}
