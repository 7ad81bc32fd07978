/**
 * A layer's index: what one layer contributes to the final filesystem, computed once per layer digest and cached.
 * Plain JSON-serialisable data so the cache can persist it. Paths are normalised absolute paths ("/usr/bin/bash":
 * no "./", no "..", no trailing "/").
 */

export type EntryKind = 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';

export interface LayerEntry {
  readonly path: string;
  readonly kind: EntryKind;
  /** Permission bits (tar header mode & 0o7777). */
  readonly mode: number;
  /** symlink: the target verbatim (absolute or relative); hardlink: the normalised absolute path it links to. */
  readonly target?: string;
}

export interface LayerIndex {
  /** Digest of the (compressed) layer blob this index was computed from. */
  readonly digest: string;
  /** Every entry of the layer except whiteout markers, in tar order (last one wins for duplicates). */
  readonly entries: readonly LayerEntry[];
  /** Paths deleted from lower layers by `.wh.<name>` markers (OCI image-spec layer.md). */
  readonly whiteouts: readonly string[];
  /** Directories whose lower-layer children are hidden by `.wh..wh..opq` markers. */
  readonly opaqueDirs: readonly string[];
  /** Small text files the facts need, verbatim: /etc/passwd, /etc/group, /etc/os-release, /usr/lib/os-release. */
  readonly files: Readonly<Record<string, string>>;
}

/** The subset of the OCI image config (image-spec config.md) the facts use. */
export interface ImageConfig {
  readonly architecture?: string;
  readonly os?: string;
  readonly variant?: string;
  readonly config?: {
    readonly User?: string;
    readonly Env?: readonly string[];
    readonly Entrypoint?: readonly string[] | null;
    readonly Cmd?: readonly string[] | null;
    readonly WorkingDir?: string;
    readonly Labels?: Readonly<Record<string, string>> | null;
  };
}
