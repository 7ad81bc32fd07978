/** The image config blob, reduced to the typed subset the facts use (src/image/layers/types.ts ImageConfig). */
import type { ImageConfig } from '../layers/types.js';
import { RegistryError } from './errors.js';

export function toImageConfig(doc: unknown, registry: string, what: string): ImageConfig {
  if (!isRecord(doc)) throw new RegistryError('bad-response', registry, `${what} is not a JSON object`);
  const out: { -readonly [K in keyof ImageConfig]: ImageConfig[K] } = {};
  if (typeof doc['architecture'] === 'string') out.architecture = doc['architecture'];
  if (typeof doc['os'] === 'string') out.os = doc['os'];
  if (typeof doc['variant'] === 'string') out.variant = doc['variant'];
  const c = doc['config'];
  if (isRecord(c)) {
    const config: { -readonly [K in keyof NonNullable<ImageConfig['config']>]: NonNullable<ImageConfig['config']>[K] } = {};
    if (typeof c['User'] === 'string') config.User = c['User'];
    if (typeof c['WorkingDir'] === 'string') config.WorkingDir = c['WorkingDir'];
    const env = strings(c['Env']);
    if (env !== undefined) config.Env = env;
    const entrypoint = c['Entrypoint'] === null ? null : strings(c['Entrypoint']);
    if (entrypoint !== undefined) config.Entrypoint = entrypoint;
    const cmd = c['Cmd'] === null ? null : strings(c['Cmd']);
    if (cmd !== undefined) config.Cmd = cmd;
    const labels = c['Labels'];
    if (labels === null) config.Labels = null;
    else if (isRecord(labels)) {
      const l: Record<string, string> = {};
      for (const [k, v] of Object.entries(labels)) if (typeof v === 'string') l[k] = v;
      config.Labels = l;
    }
    out.config = config;
  } else if (c !== undefined && c !== null) {
    throw new RegistryError('bad-response', registry, `${what} has a "config" that is not an object`);
  }
  return out;
}

function strings(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]) : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
