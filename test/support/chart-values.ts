/**
 * The values of charts/distroless-guard/values.yaml as its comments document them, in helm-docs' convention: a
 * `# -- description` comment above a value documents it (and everything under it); a map without one is walked
 * into. docs/install.md's values table is checked against this list (test/chart/chart.test.ts).
 */
import { isMap, parseDocument, type Pair, type YAMLMap } from 'yaml';

export interface DocumentedValue {
  /** Dotted path, e.g. `image.digest`. */
  readonly path: string;
  /** Its default, as JSON. */
  readonly defaultJson: string;
  /** The text after `# --` (undefined: not documented). */
  readonly description: string | undefined;
}

export function documentedValues(valuesYaml: string): DocumentedValue[] {
  const doc = parseDocument(valuesYaml);
  if (!isMap(doc.contents)) throw new Error('values.yaml is not a map');
  const found: DocumentedValue[] = [];
  const walk = (map: YAMLMap, prefix: string, leading: string) => {
    map.items.forEach((pair: Pair, i) => {
      const key = `${prefix}${String((pair.key as { value?: unknown }).value)}`;
      const comment = `${i === 0 ? leading : ''}\n${(pair.key as { commentBefore?: string }).commentBefore ?? ''}`;
      const description = descriptionOf(comment);
      const value = pair.value as { toJSON(): unknown; commentBefore?: string } | null;
      if (description === undefined && isMap(value)) walk(value, `${key}.`, value.commentBefore ?? '');
      else found.push({ path: key, defaultJson: JSON.stringify(value?.toJSON() ?? null), description });
    });
  };
  walk(doc.contents, '', `${doc.commentBefore ?? ''}\n${doc.contents.commentBefore ?? ''}`);
  return found;
}

/** The last `-- …` paragraph of a comment, its lines joined. */
function descriptionOf(comment: string): string | undefined {
  const lines = comment.split('\n').map((l) => l.trim());
  const start = lines.map((l) => l.startsWith('--')).lastIndexOf(true);
  if (start < 0) return undefined;
  return lines.slice(start).filter((l) => l !== '').join(' ').replace(/^--\s*/, '');
}
