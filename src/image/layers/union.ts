/**
 * The final filesystem of an image: a pure fold of layer indexes, walked top-down like go-containerregistry's
 * `mutate.Extract`. Rules (OCI image-spec layer.md, overlayfs):
 * - the highest layer providing a path wins; a directory over a directory merges their children;
 * - `.wh.<name>` hides `<name>` and everything beneath it in LOWER layers only;
 * - `.wh..wh..opq` hides the lower-layer children of its directory, whatever its place in the tar: a layer's
 *   markers are applied after the whole layer, so they never hide that layer's own entries;
 * - a file, symlink, hard link or device hides everything beneath its path in lower layers;
 * - a layer's entry implies its parent directories in that layer (tar extraction creates them), so
 *   `usr/bin/sh` in a layer hides a lower `/usr` symlink, exactly as an overlay upper directory would.
 *
 * Folding top-down is monotonic: once a path is visible, lower layers cannot change it (they only fill paths
 * no folded layer occupies or hides). A resolution that succeeds on a partial fold is therefore final.
 */
import { ancestors, components, dirname, joinPath, normalisePath } from './paths.js';
import type { LayerEntry, LayerIndex } from './types.js';

/** Linux gives up after 40 symlinks in one resolution (ELOOP, path_resolution(7)). */
export const MAX_SYMLINK_HOPS = 40;

export interface UnionNode {
  readonly entry: LayerEntry;
  /** Index of the providing layer, 0 = top; -1 for the root, which no layer provides. */
  readonly layer: number;
  /** A parent directory the layer implies without an entry of its own. */
  readonly implicit: boolean;
}

export interface ResolvedPath {
  /** The path with every symlink resolved. A hard link is a name of its own: its path is kept. */
  readonly path: string;
  /** The file behind the name: for a hard link, the entry it links to (whose mode the link shares). */
  readonly entry: LayerEntry;
  readonly layer: number;
}

/** A read-only view of the layers folded so far. */
export interface Union {
  readonly layerCount: number;
  /** The node at exactly this path, no symlink followed (lstat). */
  lookup(path: string): UnionNode | undefined;
  /** Follows symlinks in every component and hard links at the end (stat); undefined when missing or looping. */
  resolve(path: string): ResolvedPath | undefined;
  /** Text of a captured file (see `CAPTURED_FILES`), read from the layer the resolved path comes from. */
  readFile(path: string): string | undefined;
  /** Every visible entry the layers list (implied directories left out), in no particular order. */
  entries(): Iterable<UnionNode>;
}

export interface UnionBuilder {
  /** Folds the next lower layer under the ones already added. */
  addLower(index: LayerIndex): void;
  /** A live view: it reflects layers added later. */
  view(): Union;
}

const ROOT: UnionNode = { entry: { path: '/', kind: 'dir', mode: 0o755 }, layer: -1, implicit: true };

interface LayerNode {
  readonly entry: LayerEntry;
  readonly implicit: boolean;
}

/** One layer prepared for folding: last entry wins, implied parents added, markers as sets. */
interface PreparedLayer {
  readonly index: LayerIndex;
  readonly nodes: ReadonlyMap<string, LayerNode>;
  readonly whiteouts: ReadonlySet<string>;
  readonly opaqueDirs: ReadonlySet<string>;
}

function prepare(index: LayerIndex): PreparedLayer {
  const nodes = new Map<string, LayerNode>();
  for (const entry of index.entries) nodes.set(entry.path, { entry, implicit: false });
  const implyParents = (path: string): void => {
    for (let end = path.lastIndexOf('/'); end > 0; end = path.lastIndexOf('/', end - 1)) {
      const parent = path.slice(0, end);
      if (nodes.has(parent)) break;
      nodes.set(parent, { entry: { path: parent, kind: 'dir', mode: 0o755 }, implicit: true });
    }
  };
  for (const entry of index.entries) implyParents(entry.path);
  for (const dir of index.opaqueDirs) {
    if (dir === '/' || nodes.has(dir)) continue;
    nodes.set(dir, { entry: { path: dir, kind: 'dir', mode: 0o755 }, implicit: true });
    implyParents(dir);
  }
  return { index, nodes, whiteouts: new Set(index.whiteouts), opaqueDirs: new Set(index.opaqueDirs) };
}

/** Whether a layer hides `path` from the layers beneath it. */
function hidesBelow(layer: PreparedLayer, path: string): boolean {
  if (layer.whiteouts.has(path) || layer.opaqueDirs.has('/')) return true;
  for (const parent of ancestors(path)) {
    if (layer.whiteouts.has(parent) || layer.opaqueDirs.has(parent)) return true;
    const node = layer.nodes.get(parent);
    if (node !== undefined && node.entry.kind !== 'dir') return true;
  }
  return false;
}

export function createUnionBuilder(): UnionBuilder {
  const layers: PreparedLayer[] = [];
  const visible = new Map<string, UnionNode>();
  /**
   * Paths whose whole subtree lower layers cannot show, besides visible non-directories (which hide their subtree
   * by being there): whiteouts, and non-directories hidden under a higher directory of the same path.
   */
  const removed = new Set<string>();
  /** Directories whose strict descendants lower layers cannot show. */
  const opaque = new Set<string>();

  /** Lookup in the filesystem made of layers `from` and below: what a hard link in layer `from` saw. */
  const lookupFrom = (path: string, from: number): UnionNode | undefined => {
    for (let layer = from; layer < layers.length; layer++) {
      const prepared = layers[layer];
      if (prepared === undefined) break;
      const node = prepared.nodes.get(path);
      if (node !== undefined) return { entry: node.entry, layer, implicit: node.implicit };
      if (hidesBelow(prepared, path)) return undefined;
    }
    return undefined;
  };

  /** Follows hard links to the file they name (tar type 1 points at an entry extracted before it). */
  const inodeOf = (node: UnionNode): UnionNode | undefined => {
    let current = node;
    for (let hops = 0; current.entry.kind === 'hardlink'; hops++) {
      const target = current.entry.target;
      if (hops >= MAX_SYMLINK_HOPS || target === undefined || target === current.entry.path) return undefined;
      const next = lookupFrom(target, current.layer);
      if (next === undefined || next.entry.kind === 'dir') return undefined;
      current = next;
    }
    return current;
  };

  const lookup = (path: string): UnionNode | undefined => {
    const normal = normalisePath(path);
    return normal === '/' ? ROOT : visible.get(normal);
  };

  const resolve = (path: string): ResolvedPath | undefined => {
    const pending = components(path).reverse();
    let current: ResolvedPath = { path: '/', entry: ROOT.entry, layer: ROOT.layer };
    let hops = 0;
    for (let part = pending.pop(); part !== undefined; part = pending.pop()) {
      // Every further component needs a directory to walk in (ENOTDIR), "." and ".." included.
      if (current.entry.kind !== 'dir') return undefined;
      if (part === '.') continue;
      if (part === '..') {
        // The parent of a resolved directory is itself a directory: no symlink to follow.
        const parent = lookup(dirname(current.path)) ?? ROOT;
        current = { path: parent.entry.path, entry: parent.entry, layer: parent.layer };
        continue;
      }
      const name = joinPath(current.path, part);
      const found = visible.get(name);
      const node = found === undefined ? undefined : inodeOf(found);
      if (node === undefined) return undefined;
      if (node.entry.kind === 'symlink') {
        const target = node.entry.target ?? '';
        if (++hops > MAX_SYMLINK_HOPS || target === '') return undefined;
        if (target.startsWith('/')) current = { path: '/', entry: ROOT.entry, layer: ROOT.layer };
        pending.push(...components(target).reverse());
        continue;
      }
      current = { path: name, entry: node.entry, layer: node.layer };
    }
    return current;
  };

  const union: Union = {
    get layerCount() {
      return layers.length;
    },
    lookup,
    resolve,
    readFile(path) {
      const resolved = resolve(path);
      if (resolved === undefined || resolved.entry.kind !== 'file') return undefined;
      return layers[resolved.layer]?.index.files[resolved.entry.path];
    },
    *entries() {
      for (const node of visible.values()) if (!node.implicit) yield node;
    },
  };

  return {
    addLower(index) {
      const prepared = prepare(index);
      const layer = layers.length;
      layers.push(prepared);
      const hiddenNonDirs: string[] = [];
      if (!opaque.has('/')) {
        // Whether higher layers hide what lower ones hold beneath a directory; memoised, as a layer's entries share
        // few directories. Nodes this layer adds are ignored: its own entries never hide each other.
        const hiddenBeneath = new Map<string, boolean>();
        const isHiddenBeneath = (dir: string): boolean => {
          if (dir === '/') return false;
          let hidden = hiddenBeneath.get(dir);
          if (hidden === undefined) {
            const node = visible.get(dir);
            hidden =
              (node !== undefined && node.layer !== layer && node.entry.kind !== 'dir') ||
              removed.has(dir) ||
              opaque.has(dir) ||
              isHiddenBeneath(dirname(dir));
            hiddenBeneath.set(dir, hidden);
          }
          return hidden;
        };
        for (const [path, node] of prepared.nodes) {
          const above = visible.get(path);
          if (above !== undefined) {
            // A directory over this non-directory: overlayfs stops there, so deeper layers stay hidden beneath it.
            if (above.entry.kind === 'dir' && node.entry.kind !== 'dir') hiddenNonDirs.push(path);
            continue;
          }
          if (removed.has(path) || isHiddenBeneath(dirname(path))) continue;
          visible.set(path, { entry: node.entry, layer, implicit: node.implicit });
        }
      }
      // Applied after the whole layer: its markers hide only what lies beneath it.
      for (const path of prepared.whiteouts) removed.add(path);
      for (const path of hiddenNonDirs) removed.add(path);
      for (const dir of prepared.opaqueDirs) opaque.add(dir);
    },
    view: () => union,
  };
}

/** The union of layers ordered top (last applied) first. */
export function buildUnion(layers: readonly LayerIndex[]): Union {
  const builder = createUnionBuilder();
  for (const layer of layers) builder.addLower(layer);
  return builder.view();
}
