/**
 * The image's command search path, from config `Env` (image-spec config.md). When PATH is unset the runtime
 * supplies the usual default (containerd/runc and Docker use this value).
 */
import { normalisePath } from '../layers/paths.js';
import type { ImageConfig } from '../layers/types.js';

export const DEFAULT_SEARCH_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** An `Env` variable of the config; the last assignment wins, as it would in a shell. */
export function envOf(config: ImageConfig, name: string): string | undefined {
  let value: string | undefined;
  for (const pair of config.config?.Env ?? []) {
    if (pair.startsWith(name + '=')) value = pair.slice(name.length + 1);
  }
  return value;
}

/** Absolute, normalised, de-duplicated PATH directories in search order; relative entries are ignored. */
export function searchPath(config: ImageConfig): string[] {
  const dirs = (envOf(config, 'PATH') ?? DEFAULT_SEARCH_PATH).split(':');
  return [...new Set(dirs.filter((dir) => dir.startsWith('/')).map(normalisePath))];
}
