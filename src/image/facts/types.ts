/**
 * What the guard knows about an image: the contract between image inspection and the rules.
 * Every field is derived from the image's final (union) filesystem and its config blob.
 */

/** The user the image runs as, from config `User`, resolved through the image's own /etc/passwd and /etc/group. */
export interface ImageUser {
  /** `User` from the image config, verbatim ("" when unset, which means root). */
  readonly configured: string;
  /** Numeric uid, or null when the configured name cannot be resolved through /etc/passwd. */
  readonly uid: number | null;
  /** Numeric gid, or null when unknown. */
  readonly gid: number | null;
  /** User name from /etc/passwd (or the configured name), null when there is none. */
  readonly name: string | null;
}

/** What a runtime is: a language interpreter or VM, or the C or C++ runtime library (see facts/runtimes.ts). */
export type RuntimeName = 'glibc' | 'java' | 'libstdc++' | 'node' | 'python';

/** A runtime the image carries, found by name (an executable on PATH, a library in a multiarch directory). */
export interface Runtime {
  readonly name: RuntimeName;
  /** "3.11", "20", "21": what the image's file names or its Env say; null when they say nothing. */
  readonly version: string | null;
  /** Where it was found, symlinks resolved ("/usr/bin/python3.11"). */
  readonly path: string;
}

/** The distribution /etc/os-release names: `ID` ("debian", "ubuntu", "wolfi") and `VERSION_ID` ("12"; "" when unset). */
export interface Distribution {
  readonly id: string;
  readonly versionId: string;
}

/** How much of the image a scan read; a top-down scan may stop once every question is settled (see `scanSettled`). */
export interface ScanSummary {
  readonly layersTotal: number;
  readonly layersRead: number;
  readonly stoppedEarly: boolean;
}

/** Facts about one platform's image (one manifest). */
export interface PlatformFacts {
  /** "linux/amd64", "linux/arm64/v8"; "unknown" for a single manifest whose config names none. */
  readonly platform: string;
  /** Digest of this platform's image manifest. */
  readonly digest: string;
  /** Absolute paths of shell executables present in the final filesystem, sorted. */
  readonly shells: readonly string[];
  /** Names of package managers whose executables are present (apt, dpkg, apk, …), sorted. */
  readonly packageManagers: readonly string[];
  readonly user: ImageUser;
  /** true: runs as a non-zero uid; false: runs as root; null: cannot be known (unresolvable name). */
  readonly nonRoot: boolean | null;
  /**
   * /tmp resolves to a directory in the final filesystem (scratch-based images often have none); null when a scan
   * that stopped early did not reach it.
   */
  readonly hasTmpDir: boolean | null;
  /** A debug variant recognised by content (e.g. /busybox/busybox of distroless :debug), not by tag. */
  readonly debugVariant: boolean;
  /** No shell, no package manager, not a debug variant. */
  readonly distroless: boolean;
  /** The base it is built on where recognisable (/etc/os-release PRETTY_NAME, or a base-name label); null otherwise. */
  readonly base: string | null;
  /** The distribution its os-release names; null without os-release or its ID. */
  readonly distribution: Distribution | null;
  /** Language runtimes and C/C++ runtime libraries found, sorted by name (what a distroless replacement must hold). */
  readonly runtimes: readonly Runtime[];
  readonly scan: ScanSummary;
}

/** Facts about an image reference: the worst case across its platforms, and each platform. */
export interface ImageFacts extends Omit<PlatformFacts, 'platform' | 'digest' | 'scan'> {
  /** The reference as given. */
  readonly image: string;
  /** Digest of the manifest or index the reference resolved to. */
  readonly digest: string;
  readonly platforms: readonly PlatformFacts[];
  /**
   * Set when the reference is a tag whose digest the registry could not confirm this time (an outage): the digest
   * of its last resolution was used (image/cache/tag-cache.ts).
   */
  readonly staleTag?: StaleTag;
}

export interface StaleTag {
  /** When the registry last confirmed the digest (epoch ms). */
  readonly resolvedAt: number;
  /** Why it could not be confirmed since: a class-level message, safe for an admission answer. */
  readonly reason: string;
}
