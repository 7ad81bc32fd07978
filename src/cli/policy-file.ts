import { readFile } from 'node:fs/promises';
import { InputError } from './io.js';

/** A --policy FILE's text; a file that cannot be read is an input error (exit 2), named as the user gave it. */
export async function readPolicyText(path: string, name: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : 'unreadable';
    throw new InputError(`${name}: cannot read policy file (${code})`, { cause: err });
  }
}
