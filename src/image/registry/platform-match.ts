/**
 * `--platform os/arch[/variant]`: which image of an index a node of that platform would pull. Compared as
 * containerd normalises platforms (github.com/containerd/platforms): `x86_64` is `amd64`, `aarch64` is `arm64`,
 * arm64 without a variant is `v8`, arm without a variant is `v7`; a platform asked for without a variant takes any
 * variant of its architecture otherwise.
 */
import type { Platform } from './manifest.js';

const ARCH_ALIASES: Readonly<Record<string, string>> = { x86_64: 'amd64', 'x86-64': 'amd64', aarch64: 'arm64', armhf: 'arm', armel: 'arm' };
const DEFAULT_VARIANT: Readonly<Record<string, string>> = { arm64: 'v8', arm: 'v7' };

/** "linux/arm64/v8" → a Platform; undefined when it is not os/arch or os/arch/variant. */
export function parsePlatform(text: string): Platform | undefined {
  const parts = text.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[a-z0-9_.-]{1,32}$/i.test(p))) return undefined;
  const [os, architecture, variant] = parts as [string, string, string?];
  return { os: os.toLowerCase(), architecture: architecture.toLowerCase(), ...(variant !== undefined ? { variant: variant.toLowerCase() } : {}) };
}

function normalised(p: Platform): { os: string; architecture: string; variant: string | undefined } {
  const architecture = ARCH_ALIASES[p.architecture.toLowerCase()] ?? p.architecture.toLowerCase();
  return { os: p.os.toLowerCase(), architecture, variant: p.variant?.toLowerCase() ?? DEFAULT_VARIANT[architecture] };
}

/** Whether an image for `actual` is what a node asking for `wanted` runs. */
export function platformMatches(wanted: Platform, actual: Platform): boolean {
  const w = normalised(wanted);
  const a = normalised(actual);
  if (w.os !== a.os || w.architecture !== a.architecture) return false;
  return w.variant === undefined || w.variant === a.variant;
}

/** The first entry of an index for `wanted`, in the index's order (the order registries and builders give). */
export function pickPlatform<T extends { readonly platform: Platform }>(entries: readonly T[], wanted: Platform): T | undefined {
  return entries.find((entry) => platformMatches(wanted, entry.platform));
}
