/**
 * os-release(5): newline-separated `KEY=value` assignments with shell-like quoting. /etc/os-release wins; when it
 * is missing (or a dangling link) /usr/lib/os-release is read instead.
 */
import type { Union } from '../layers/union.js';
import type { Distribution } from './types.js';

export type OsRelease = Readonly<Record<string, string>>;

export function parseOsRelease(text: string): OsRelease {
  const fields: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const eq = line.indexOf('=');
    if (line.startsWith('#') || eq <= 0) continue;
    const key = line.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) continue;
    fields[key] = unquote(line.slice(eq + 1));
  }
  return fields;
}

function unquote(value: string): string {
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    return value.slice(1, -1).replace(/\\(["\\$`])/g, '$1');
  }
  if (value.length >= 2 && value.startsWith("'") && value.endsWith("'")) return value.slice(1, -1);
  return value;
}

export function readOsRelease(union: Union): OsRelease | undefined {
  const text = union.readFile('/etc/os-release') ?? union.readFile('/usr/lib/os-release');
  return text === undefined ? undefined : parseOsRelease(text);
}

/** `ID` (lower case, as os-release(5) defines it) and `VERSION_ID`; null when there is no ID. */
export function distributionOf(osRelease: OsRelease | undefined): Distribution | null {
  const id = osRelease?.['ID']?.toLowerCase();
  return id ? { id, versionId: osRelease?.['VERSION_ID'] ?? '' } : null;
}
