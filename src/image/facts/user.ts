/**
 * The user an image runs as: config `User` (image-spec config.md: `user`, `uid`, `user:group`, `uid:gid`,
 * `uid:group`, `user:gid`; empty means root) resolved through the image's own /etc/passwd and /etc/group, the way
 * the runtime does it (containerd `oci.WithUser`, runc `user.GetExecUser`).
 */
import type { Union } from '../layers/union.js';
import type { ImageUser } from './types.js';

export interface PasswdEntry {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
  readonly shell: string;
}

export interface GroupEntry {
  readonly name: string;
  readonly gid: number;
  readonly members: readonly string[];
}

/** passwd(5) lines; comments, blank lines, NIS `+`/`-` lines and malformed lines are skipped. */
export function parsePasswd(text: string): PasswdEntry[] {
  const entries: PasswdEntry[] = [];
  for (const fields of records(text)) {
    const [name = '', , uid = '', gid = '', , home = '', shell = ''] = fields;
    const uidNumber = parseId(uid);
    const gidNumber = parseId(gid);
    if (fields.length < 4 || name === '' || uidNumber === null || gidNumber === null) continue;
    entries.push({ name, uid: uidNumber, gid: gidNumber, home, shell });
  }
  return entries;
}

/** group(5) lines, as tolerant as {@link parsePasswd}. */
export function parseGroup(text: string): GroupEntry[] {
  const entries: GroupEntry[] = [];
  for (const fields of records(text)) {
    const [name = '', , gid = '', members = ''] = fields;
    const gidNumber = parseId(gid);
    if (fields.length < 3 || name === '' || gidNumber === null) continue;
    entries.push({ name, gid: gidNumber, members: members.split(',').filter((member) => member !== '') });
  }
  return entries;
}

function* records(text: string): Generator<string[]> {
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('+') || line.startsWith('-')) continue;
    yield line.split(':');
  }
}

/** A decimal uid/gid in the 32-bit range, or null (then the text is a name). */
function parseId(text: string): number | null {
  if (!/^\d{1,10}$/.test(text)) return null;
  const id = Number(text);
  return id <= 0xffff_ffff ? id : null;
}

/**
 * Resolves config `User`. A numeric uid needs no passwd entry; its gid is then 0, as containerd's `WithUserID`
 * sets it. A name missing from /etc/passwd gives uid null: the runtime would refuse to start the container.
 */
export function resolveUser(
  configured: string,
  passwd: readonly PasswdEntry[],
  groups: readonly GroupEntry[],
): ImageUser {
  const colon = configured.indexOf(':');
  const userPart = colon === -1 ? configured : configured.slice(0, colon);
  const groupPart = colon === -1 ? null : configured.slice(colon + 1);

  let uid: number | null;
  let gid: number | null;
  let name: string | null;
  const numeric = userPart === '' ? 0 : parseId(userPart);
  if (numeric !== null) {
    const entry = passwd.find((candidate) => candidate.uid === numeric);
    uid = numeric;
    gid = entry?.gid ?? 0;
    name = entry?.name ?? null;
  } else {
    const entry = passwd.find((candidate) => candidate.name === userPart);
    uid = entry?.uid ?? null;
    gid = entry?.gid ?? null;
    name = userPart;
  }

  if (groupPart !== null && groupPart !== '') {
    gid = parseId(groupPart) ?? groups.find((group) => group.name === groupPart)?.gid ?? null;
  }
  return { configured, uid, gid, name };
}

/** Config `User` resolved through the union's /etc/passwd and /etc/group (missing files mean no entries). */
export function imageUser(configured: string, union: Union): ImageUser {
  return resolveUser(
    configured,
    parsePasswd(union.readFile('/etc/passwd') ?? ''),
    parseGroup(union.readFile('/etc/group') ?? ''),
  );
}

/** true: a non-zero uid; false: root; null: the uid cannot be known. */
export function isNonRoot(user: ImageUser): boolean | null {
  return user.uid === null ? null : user.uid !== 0;
}
