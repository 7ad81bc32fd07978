/** What a mutation planner reports besides its patch. */

/** One change a plan makes to a container, grouped by kind in DryRun warnings ("would harden …", "would pin …"). */
export interface Change {
  readonly kind: 'harden' | 'pin' | 'mount' | 'inject';
  /** "runAsUser: 65532", "image …@sha256:…", "emptyDir at /tmp (read-only root filesystem)". */
  readonly text: string;
}

/** Something the user should know about a container: an explicit choice kept, a mutation not made and why. */
export interface Note {
  /** Leads the warning, before the container: "kept", "root image in". */
  readonly what: string;
  readonly text: string;
}

export const kept = (text: string): Note => ({ what: 'kept', text });
