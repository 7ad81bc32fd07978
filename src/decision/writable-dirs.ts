import { createHash } from 'node:crypto';
import type { V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import { memoized } from '../shared/memo.js';
import { kept, type Change, type Note } from './change.js';

export interface WritableDirsInput {
  readonly containerName: string;
  /** The container's own mounts: a directory already mounted is the user's choice and is left alone. */
  readonly existingMounts: readonly V1VolumeMount[];
  /** Mount paths another planner already gives this container (an init container's shared volume). */
  readonly plannedMountPaths: readonly string[];
  readonly dirs: readonly string[];
  /** Why the directories need a volume, shown in the change: "read-only root filesystem", "image has no /tmp". */
  readonly reason: string;
  /** Volume names in use in the pod, so new ones never collide. */
  readonly takenVolumeNames: ReadonlySet<string>;
}

export interface WritableDirsPlan {
  readonly mounts: readonly V1VolumeMount[];
  readonly volumes: readonly V1Volume[];
  readonly changes: readonly Change[];
  readonly notes: readonly Note[];
}

/**
 * An emptyDir per directory and container (not shared between containers: two processes using the same
 * well-known name under /tmp, a socket or a lock file, would collide). kubelet creates emptyDir directories
 * world-writable (0777), so any uid can write there, which a root-owned directory of the image would not allow.
 */
export function planWritableDirs(input: WritableDirsInput): WritableDirsPlan {
  // Names taken by this plan, beside the pod's: a list, since a container has a directory or two.
  const takenHere: string[] = [];
  const taken = { has: (name: string): boolean => input.takenVolumeNames.has(name) || takenHere.includes(name) };
  const mounts: V1VolumeMount[] = [];
  const volumes: V1Volume[] = [];
  const changes: Change[] = [];
  const notes: Note[] = [];
  for (const dir of input.dirs) {
    if (input.plannedMountPaths.includes(dir)) continue;
    const existing = input.existingMounts.find((mount) => mount.mountPath === dir);
    if (existing) {
      if (existing.readOnly === true) notes.push(kept(`volumeMount ${existing.name} at ${dir} is readOnly; left as is`));
      continue;
    }
    const name = volumeNameFor(input.containerName, dir, taken);
    takenHere.push(name);
    mounts.push({ name, mountPath: dir });
    volumes.push({ name, emptyDir: {} });
    changes.push({ kind: 'mount', text: `emptyDir at ${dir} (${input.reason})` });
  }
  return { mounts, volumes, changes, notes };
}

const MAX_NAME = 63;

/** A directory as the tail of a volume name ("/var/cache" → "var-cache"); the policy's few directories, every admission. */
const slugOf = memoized((dir: string) => dir.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, ''), 1024);

/**
 * "dg-<container>-<dir>" as an RFC 1123 label (what Kubernetes requires of volume names): the directory's
 * characters outside [a-z0-9] become "-". Too long, or taken, it is cut and given a hash of container and directory.
 */
export function volumeNameFor(containerName: string, dir: string, taken: Pick<ReadonlySet<string>, 'has'>): string {
  const slug = slugOf(dir);
  const name = slug === '' ? `dg-${containerName}`.replace(/-+$/, '') : `dg-${containerName}-${slug}`;
  if (name.length <= MAX_NAME && !taken.has(name)) return name;
  for (let attempt = 0; ; attempt++) {
    const hash = createHash('sha256').update(`${containerName}\0${dir}\0${attempt}`).digest('hex').slice(0, 8);
    const candidate = `${name.slice(0, MAX_NAME - hash.length - 1).replace(/-+$/, '')}-${hash}`;
    if (!taken.has(candidate)) return candidate;
  }
}
