import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { InputError } from './io.js';

export interface ManifestText {
  /** As the user named it (relative paths stay relative), "<stdin>" for `-`. */
  readonly file: string;
  readonly text: string;
}

export const STDIN_NAME = '<stdin>';
const MANIFEST_EXTENSIONS = ['.yaml', '.yml', '.json'];

/**
 * What `-f` names, as kubectl reads it: a file, a directory (its .yaml, .yml and .json files, sorted; with
 * `recursive` its subdirectories too), or `-` for standard input (read once, e.g. `helm template . | check -f -`).
 */
export async function readManifestTexts(paths: readonly string[], options: { readonly cwd: string; readonly recursive: boolean; readonly stdin?: Readable }): Promise<ManifestText[]> {
  const texts: ManifestText[] = [];
  let stdinRead = false;
  for (const path of paths) {
    if (path === '-') {
      if (stdinRead) continue;
      stdinRead = true;
      if (!options.stdin) throw new InputError('-f -: no standard input to read');
      texts.push({ file: STDIN_NAME, text: await readAll(options.stdin) });
      continue;
    }
    const absolute = resolve(options.cwd, path);
    const info = await stat(absolute).catch((err: unknown) => {
      throw new InputError(`${path}: ${codeOf(err) === 'ENOENT' ? 'no such file or directory' : `cannot read (${codeOf(err)})`}`, { cause: err });
    });
    const files = info.isDirectory() ? await manifestFiles(absolute, options.recursive) : [absolute];
    for (const file of files) {
      const name = info.isDirectory() ? join(path, relative(absolute, file)) : path;
      const text = await readFile(file, 'utf8').catch((err: unknown) => {
        throw new InputError(`${name}: cannot read (${codeOf(err)})`, { cause: err });
      });
      texts.push({ file: name, text });
    }
  }
  return texts;
}

async function manifestFiles(dir: string, recursive: boolean): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const sorted = entries.sort((a, b) => a.name.localeCompare(b.name));
  const files: string[] = [];
  for (const entry of sorted) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (recursive) files.push(...(await manifestFiles(path, true)));
    } else if (MANIFEST_EXTENSIONS.some((ext) => entry.name.endsWith(ext))) {
      files.push(path);
    }
  }
  return files;
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

function codeOf(err: unknown): string {
  return typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : 'unreadable';
}
