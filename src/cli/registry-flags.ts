/**
 * The registry flags (serve, inspect, check, audit) and the bounds of a batch of inspections (check, audit), as
 * declarations, and the checks of their values. Light: main.ts declares every command from it; what the flags turn
 * into (credential files, plugins, the inspector's options) is registry-options.ts, loaded by the commands.
 */
import { parseGoDuration } from '../shared/duration.js';
import type { FlagSpecs } from './flags.js';
import { UsageError } from './io.js';

/** The --help section of the registry flags. */
const REGISTRY_GROUP = 'Registry options:';

/** The registry flags every command that reads images shares (serve, inspect, check, audit). */
export const REGISTRY_FLAGS = {
  'insecure-registry': { type: 'string', multiple: true, default: [], value: 'HOST', help: 'use plain HTTP for HOST[:PORT] or an IP range like 127.0.0.0/8 (for the CLI, loopback registries always are; for serve, only what is listed)', group: REGISTRY_GROUP },
  mirror: { type: 'string', multiple: true, default: [], value: 'FROM=TO', help: "fetch FROM's images from TO, e.g. gcr.io=mirror.corp:5000/gcr; TO is trusted at any address, over plain HTTP when written http://TO", group: REGISTRY_GROUP },
  'max-layer-size': { type: 'string', default: '16Gi', value: 'SIZE', help: 'refuse a layer that decompresses to more than SIZE (e.g. 512Mi, 2G)', group: REGISTRY_GROUP },
  'tag-ttl': { type: 'string', default: '1m', value: 'DURATION', help: "reuse a tag's resolved digest this long (0: ask the registry every time)", group: REGISTRY_GROUP },
  'tag-max-stale': { type: 'string', default: '1h', value: 'DURATION', help: "while the registry cannot be reached, keep using a tag's last digest this long past its TTL, with a warning", group: REGISTRY_GROUP },
  'image-credential-provider-config': { type: 'string', value: 'FILE', help: "the kubelet's CredentialProviderConfig (file or directory): its plugins give credentials for the images they match, for every pod, as on the nodes", group: REGISTRY_GROUP },
  'image-credential-provider-bin-dir': { type: 'string', value: 'DIR', help: "where those plugins' executables are (goes with --image-credential-provider-config)", group: REGISTRY_GROUP },
} as const satisfies FlagSpecs;

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

/** The values of REGISTRY_FLAGS as parseFlags gives them. */
export interface RegistryFlagValues {
  readonly 'insecure-registry': readonly string[];
  readonly mirror: readonly string[];
  readonly 'max-layer-size': string;
  readonly 'tag-ttl': string;
  readonly 'tag-max-stale': string;
  readonly 'image-credential-provider-config'?: string | undefined;
  readonly 'image-credential-provider-bin-dir'?: string | undefined;
}

/** A Go-style duration ("90s", "1m30s", "1h") or 0 (off); a malformed one is a UsageError. */
export function parseTagDuration(flag: string, text: string): number {
  return parseDurationFlag(flag, text);
}

/** --image-credential-provider-config and --image-credential-provider-bin-dir go together, as the kubelet's flags. */
export function credentialProviderFlags(values: Pick<RegistryFlagValues, 'image-credential-provider-config' | 'image-credential-provider-bin-dir'>): { config: string; binDir: string } | undefined {
  const config = values['image-credential-provider-config'];
  const binDir = values['image-credential-provider-bin-dir'];
  if (config === undefined && binDir === undefined) return undefined;
  if (config === undefined || binDir === undefined) throw new UsageError('--image-credential-provider-config and --image-credential-provider-bin-dir go together');
  return { config, binDir };
}

/** The flags of the commands that inspect many images (check, audit): the registry flags and the bounds of the run. */
export const BATCH_INSPECTION_FLAGS = {
  offline: { type: 'boolean', help: 'do not inspect images (rules that need image facts are not evaluated)' },
  timeout: { type: 'string', value: 'DURATION', default: '10m', help: "stop inspecting after DURATION; what is not known by then follows the policies' failurePolicy" },
  concurrency: { type: 'string', value: 'N', default: '4', help: 'images inspected at once' },
  ...REGISTRY_FLAGS,
} as const satisfies FlagSpecs;

export interface BatchInspection {
  readonly offline: boolean;
  readonly timeoutMs: number;
  readonly concurrency: number;
}

/** Checks every batch-inspection flag before any I/O (a malformed one is a UsageError) and returns the bounds. */
export function batchInspection(values: { offline: boolean; timeout: string; concurrency: string; mirror: readonly string[]; 'max-layer-size': string; 'tag-ttl': string; 'tag-max-stale': string; 'image-credential-provider-config'?: string | undefined; 'image-credential-provider-bin-dir'?: string | undefined }): BatchInspection {
  parseMirrors(values.mirror);
  credentialProviderFlags(values);
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

/** --timeout: a duration above 0 and at most 1h (see parseDurationFlag). */
export function parseDuration(text: string): number {
  return Math.round(parseDurationFlag('--timeout', text, { minMs: 1, maxMs: 3_600_000 }));
}

/**
 * A duration flag's milliseconds: a Go duration (`500ms`, `1m30s`, `2h45m`), or a bare number of seconds as
 * kubectl's --request-timeout takes it (`--timeout 60` always meant 60s here); a malformed or out-of-range one is
 * a UsageError naming the flag.
 */
export function parseDurationFlag(flag: string, text: string, bounds: { readonly minMs?: number; readonly maxMs?: number } = {}): number {
  const trimmed = text.trim();
  const ms = /^\d{1,9}$/.test(trimmed) ? Number(trimmed) * 1_000 : parseGoDuration(trimmed);
  if (ms === undefined) throw new UsageError(`${flag} ${text} is not a duration like 500ms, 10s, 1m30s or 2h`);
  const { minMs = 0, maxMs = Number.MAX_SAFE_INTEGER } = bounds;
  if (ms < minMs || ms > maxMs) throw new UsageError(`${flag} ${text} must be ${minMs > 0 ? 'above 0' : 'at least 0'}${maxMs < Number.MAX_SAFE_INTEGER ? ` and at most ${formatMs(maxMs)}` : ''}`);
  return ms;
}

function formatMs(ms: number): string {
  return ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : ms % 60_000 === 0 ? `${ms / 60_000}m` : ms % 1_000 === 0 ? `${ms / 1_000}s` : `${ms}ms`;
}
