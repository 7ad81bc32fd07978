import { readFile } from 'node:fs/promises';
import { DEFAULT_POLICY_YAML } from './default-policy.js';
import { parsePolicies, PolicyLoadError } from './load.js';
import type { DistrolessPolicy } from './types.js';

/** The policies from --policy FILE, or the embedded default when no file is given. */
export async function readPolicies(path: string | undefined): Promise<DistrolessPolicy[]> {
  if (path === undefined) return parsePolicies(DEFAULT_POLICY_YAML, 'embedded default policy');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : 'unreadable';
    throw new PolicyLoadError(`${path}: cannot read policy file (${code})`, { cause: err });
  }
  return parsePolicies(text, path);
}
