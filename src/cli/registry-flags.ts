import { loadDockerConfigLookup } from '../image/registry/credentials.js';
import type { ImageInspectorOptions } from '../image/inspector.js';
import { UsageError } from './io.js';

/** The registry flags `serve` and `inspect` share, for node:util parseArgs. */
export const REGISTRY_FLAGS = {
  'insecure-registry': { type: 'string' as const, multiple: true as const, default: [] as string[] },
  mirror: { type: 'string' as const, multiple: true as const, default: [] as string[] },
};

export const REGISTRY_FLAGS_USAGE = `  --insecure-registry HOST  use plain HTTP for HOST[:PORT] (loopback registries always are) (repeatable)
  --mirror FROM=TO          fetch FROM's images from TO, e.g. gcr.io=127.0.0.1:5001 (repeatable)`;

/** "gcr.io=127.0.0.1:5001" flags → a mirror map; a malformed one is a UsageError. */
export function parseMirrors(flags: readonly string[]): Record<string, string> {
  const mirrors: Record<string, string> = {};
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    if (eq <= 0 || eq === flag.length - 1) throw new UsageError(`--mirror ${flag} is not FROM=TO`);
    mirrors[flag.slice(0, eq)] = flag.slice(eq + 1);
  }
  return mirrors;
}

/** Inspector options from the shared flags, with credentials from $DOCKER_CONFIG/config.json or ~/.docker/config.json. */
export async function registryOptions(
  values: { readonly 'insecure-registry': readonly string[]; readonly mirror: readonly string[] },
  env: NodeJS.ProcessEnv,
  signal: AbortSignal,
): Promise<Pick<ImageInspectorOptions, 'mirrors' | 'insecureRegistries' | 'credentials'>> {
  return {
    mirrors: parseMirrors(values.mirror),
    insecureRegistries: [...values['insecure-registry']],
    credentials: await loadDockerConfigLookup(env, signal),
  };
}
