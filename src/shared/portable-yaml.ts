import { Document, isScalar, parse, visit, type ToStringOptions } from 'yaml';

/**
 * YAML that every reader reads back as written. kubectl (sigs.k8s.io/yaml, a fork of go-yaml v2) reads YAML 1.1,
 * where a plain `Off`, `no`, `y` or `on` is a boolean, `0777` an octal number, `1:30` a base-60 number (ninety) and
 * `2001-12-14` a timestamp; YAML 1.2 readers (this `yaml` package by default, most editors' linters) read the
 * same text differently. So every string that any of them would take for something else is quoted.
 *
 * The `yaml` package's own YAML 1.1 output quotes what its YAML 1.1 schema resolves; this adds what YAML 1.2's core
 * schema resolves (`0o777`) and what go-yaml v2 alone resolves: it parses plain numbers with Go's
 * `strconv.ParseInt(s, 0, 64)` after dropping underscores, which also accepts `0O17`, `0X1F` and `0B101`.
 */
export function portableYaml(value: unknown, options: ToStringOptions = {}): string {
  const document = new Document(value, { version: '1.1' });
  return quoteMisreadable(document).toString({ lineWidth: 0, ...options });
}

/** Marks every string of a document that some reader would misread as quoted (an edited document, say). */
export function quoteMisreadable<T extends Document.Parsed | Document>(document: T): T {
  visit(document, {
    Scalar(_key, node) {
      if (isScalar(node) && typeof node.value === 'string' && misreadable(node.value)) node.type = /["\\]/.test(node.value) ? 'QUOTE_SINGLE' : 'QUOTE_DOUBLE';
    },
  });
  return document;
}

/** Go's base prefixes in any case, with underscores (go-yaml v2 drops them before strconv.ParseInt). */
const GO_INTEGER = /^[-+]?0[bBoOxX][0-9a-fA-F_]+$/;

/** Whether a YAML 1.1 or 1.2 reader, or go-yaml v2, would read this string written plain as something else. */
export function misreadable(text: string): boolean {
  // Multi-line strings are written as block scalars, which are strings to every reader.
  if (text.includes('\n')) return false;
  if (text === '' || GO_INTEGER.test(text)) return true;
  // A plain scalar that does not survive parsing (a comment marker, a flow indicator) is quoted by the writer anyway.
  return ['1.1', '1.2'].some((version) => {
    try {
      return parse(text, { version: version as '1.1' | '1.2' }) !== text;
    } catch {
      return true;
    }
  });
}
