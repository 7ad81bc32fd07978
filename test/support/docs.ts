import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

/** The repository's documentation as tests read it: the README and every page of docs/. */
export const ROOT = resolve(import.meta.dirname, '../..');

/** Repository-relative paths of README.md and docs/*.md. */
export function documentationPages(): string[] {
  const pages = readdirSync(resolve(ROOT, 'docs')).filter((name) => name.endsWith('.md')).sort();
  return ['README.md', ...pages.map((name) => join('docs', name))];
}

export function readPage(page: string): string {
  return readFileSync(resolve(ROOT, page), 'utf8');
}

export interface PolicyExample {
  /** Where it is written: page and line of its ```yaml block. */
  readonly where: string;
  readonly document: { readonly kind?: string; readonly metadata?: { readonly name?: string } };
}

/** Every DistrolessPolicy document in the ```yaml blocks of the documentation. */
export function policyExamples(): PolicyExample[] {
  return documentationPages().flatMap((page) => {
    const text = readPage(page);
    return [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].flatMap((match) => {
      const line = text.slice(0, match.index).split('\n').length;
      return parseAllDocuments(match[1] ?? '')
        .map((document) => document.toJS() as PolicyExample['document'] | null)
        .filter((document): document is PolicyExample['document'] => document?.kind === 'DistrolessPolicy')
        .map((document) => ({ where: `${page}:${line}`, document }));
    });
  });
}
