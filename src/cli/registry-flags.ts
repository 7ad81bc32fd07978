import { loadDockerConfigLookup } from '../image/registry/credentials.js';
import { adminHostMatcher } from '../image/registry/egress.js';
import type { ImageInspectorOptions } from '../image/inspector.js';
import { parseGoDuration } from '../server/deadline.js';
import { UsageError } from './io.js';

/** The registry flags `serve` and `inspect` share, for node:util parseArgs. */
export const REGISTRY_FLAGS = {
  'insecure-registry': { type: 'string' as const, multiple: true as const, default: [] as string[] },
  mirror: { type: 'string' as const, multiple: true as const, default: [] as string[] },
  'max-layer-size': { type: 'string' as const, default: '16Gi' },
  'tag-ttl': { type: 'string' as const, default: '1m' },
  'tag-max-stale': { type: 'string' as const, default: '1h' },
};

export const REGISTRY_FLAGS_USAGE = `  --insecure-registry HOST  use plain HTTP for HOST[:PORT] or an IP range like 127.0.0.0/8 (for the CLI, loopback
                            registries always are; for serve, only what is listed) (repeatable)
  --mirror FROM=TO          fetch FROM's images from TO, e.g. gcr.io=mirror.corp:5000/gcr; TO is trusted at any address,
                            over plain HTTP when written http://TO (repeatable)
  --max-layer-size SIZE     refuse a layer that decompresses to more than SIZE (default 16Gi; e.g. 512Mi, 2G)
  --tag-ttl DURATION        reuse a tag's resolved digest this long (default 1m; 0: ask the registry every time)
  --tag-max-stale DURATION  while the registry cannot be reached, keep using a tag's last digest this long past its
                            TTL, with a warning (default 1h)`;

const SIZE_UNITS: Readonly<Record<string, number>> = { '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 };

/** A size as Kubernetes quantities write it: "512Mi", "2G", "1048576"; a malformed one is a UsageError. */
export function parseSize(flag: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)(k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(text.trim());
  const bytes = m ? Math.floor(Number(m[1]) * (SIZE_UNITS[m[2] ?? ''] ?? Number.NaN)) : Number.NaN;
  if (!(bytes > 0)) throw new UsageError(`${flag} ${text} is not a size like 512Mi, 2G or 1048576`);
  return bytes;
}

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

/** The values of REGISTRY_FLAGS as parseArgs gives them. */
export interface RegistryFlagValues {
  readonly 'insecure-registry': readonly string[];
  readonly mirror: readonly string[];
  readonly 'max-layer-size': string;
  readonly 'tag-ttl': string;
  readonly 'tag-max-stale': string;
}

/** A Go-style duration ("90s", "1m30s", "1h") or 0; a malformed one is a UsageError. */
export function parseTagDuration(flag: string, text: string): number {
  if (text.trim() === '0') return 0;
  const ms = parseGoDuration(text.trim());
  if (ms === undefined) throw new UsageError(`${flag} ${text} is not a duration like 30s, 1m or 1h (0 turns it off)`);
  return ms;
}

/** Inspector options from the shared flags, with credentials from $DOCKER_CONFIG/config.json or ~/.docker/config.json. */
export async function registryOptions(
  values: RegistryFlagValues,
  env: NodeJS.ProcessEnv,
  signal: AbortSignal,
): Promise<Pick<ImageInspectorOptions, 'mirrors' | 'insecureRegistries' | 'credentials' | 'limits' | 'tagTtlMs' | 'tagMaxStaleMs'>> {
  try {
    adminHostMatcher(values['insecure-registry']);
  } catch (err) {
    throw new UsageError(`--insecure-registry: ${err instanceof Error ? err.message : String(err)}`);
  }
  return {
    mirrors: parseMirrors(values.mirror),
    insecureRegistries: [...values['insecure-registry']],
    limits: { layer: { maxUncompressedBytes: parseSize('--max-layer-size', values['max-layer-size']) } },
    tagTtlMs: parseTagDuration('--tag-ttl', values['tag-ttl']),
    tagMaxStaleMs: parseTagDuration('--tag-max-stale', values['tag-max-stale']),
    credentials: await loadDockerConfigLookup(env, signal),
  };
}

/** The flags of the commands that inspect many images (check, audit): the registry flags and the bounds of the run. */
export const BATCH_INSPECTION_FLAGS = {
  offline: { type: 'boolean' as const, default: false },
  timeout: { type: 'string' as const, default: '10m' },
  concurrency: { type: 'string' as const, default: '4' },
  ...REGISTRY_FLAGS,
};

export interface BatchInspection {
  readonly offline: boolean;
  readonly timeoutMs: number;
  readonly concurrency: number;
}

/** Checks every batch-inspection flag before any I/O (a malformed one is a UsageError) and returns the bounds. */
export function batchInspection(values: { offline: boolean; timeout: string; concurrency: string; mirror: readonly string[]; 'max-layer-size': string; 'tag-ttl': string; 'tag-max-stale': string }): BatchInspection {
  parseMirrors(values.mirror);
  parseSize('--max-layer-size', values['max-layer-size']);
  parseTagDuration('--tag-ttl', values['tag-ttl']);
  parseTagDuration('--tag-max-stale', values['tag-max-stale']);
  return { offline: values.offline, timeoutMs: parseDuration(values.timeout), concurrency: positiveInteger('--concurrency', values.concurrency) };
}

export function positiveInteger(flag: string, value: string, max = 64): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new UsageError(`${flag} ${value}: expected a whole number from 1 to ${max}`);
  return n;
}

/** "500ms", "60s", "2m", "1.5s"; a bare number is seconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (m === null) throw new UsageError(`--timeout ${text} is not a duration like 500ms, 60s or 2m`);
  const n = Number(m[1]);
  const ms = m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000;
  if (!(ms > 0) || ms > 3_600_000) throw new UsageError(`--timeout ${text} must be above 0 and at most 1h`);
  return Math.round(ms);
}
