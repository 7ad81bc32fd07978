/**
 * Test support: layer indexes written in code, one line per tar entry, so tests read like a layer listing.
 *
 *   '/usr/bin/'                      directory (trailing slash)
 *   '/usr/bin/dash 755'              regular file with its mode (default 644)
 *   '/bin -> usr/bin'                symlink, target verbatim
 *   '/bin/sh => /bin/busybox'        hard link (mode 644 unless given: '/bin/sh => /bin/busybox 700')
 *   '/dev/null other'                device, fifo, …
 *   '/etc/.wh.shadow'                whiteout, '/usr/share/.wh..wh..opq' opaque marker: real tar names
 */
import { normalisePath, whiteoutOf } from '../../src/image/layers/paths.js';
import type { LayerEntry, LayerIndex } from '../../src/image/layers/types.js';

let layers = 0;

export function layerOf(
  lines: readonly string[],
  files: Readonly<Record<string, string>> = {},
  digest?: string,
): LayerIndex {
  const entries: LayerEntry[] = [];
  const whiteouts: string[] = [];
  const opaqueDirs: string[] = [];
  for (const line of lines) {
    const [name = '', second, third, fourth] = line.trim().split(/\s+/);
    const path = normalisePath(name);
    const marker = whiteoutOf(path);
    if (marker !== null) {
      if (marker.kind === 'whiteout') whiteouts.push(marker.path);
      else if (marker.kind === 'opaque') opaqueDirs.push(marker.dir);
    } else if (second === '->') entries.push({ path, kind: 'symlink', mode: 0o777, target: third ?? '' });
    else if (second === '=>') {
      entries.push({ path, kind: 'hardlink', mode: octal(fourth, 0o644), target: normalisePath(third ?? '') });
    }
    else if (second === 'other') entries.push({ path, kind: 'other', mode: 0o644 });
    else if (name.endsWith('/')) entries.push({ path, kind: 'dir', mode: octal(second, 0o755) });
    else entries.push({ path, kind: 'file', mode: octal(second, 0o644) });
  }
  return { digest: digest ?? `sha256:fixture${++layers}`, entries, whiteouts, opaqueDirs, files };
}

function octal(text: string | undefined, fallback: number): number {
  return text === undefined ? fallback : Number.parseInt(text, 8);
}
