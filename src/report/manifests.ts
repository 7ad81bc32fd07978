/**
 * Kubernetes manifests as `kubectl apply -f` reads them: multi-document YAML (or JSON), `List` kinds flattened into
 * their items, every object with the place it came from, so findings can point at the line of a container's image.
 */
import { isNode, LineCounter, parseAllDocuments, type Document } from 'yaml';
import type { PointerSegment } from '../shared/json-patch.js';
import { isJsonObject, type JsonObject } from '../shared/records.js';

/** 1-based line and column, as editors and SARIF count them. */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

export interface ManifestObject {
  readonly object: JsonObject;
  /** Where the object starts. */
  readonly location: SourceLocation;
  /** 1-based document number within the file. */
  readonly document: number;
  /** The 0-based index in a List's items, when the object came from one. */
  readonly item?: number;
  /** Where the value at a JSON path of the object (e.g. a container's image) starts, when it is in the file. */
  locate(path: readonly PointerSegment[]): SourceLocation | undefined;
}

/** Input that cannot be read as Kubernetes objects: invalid YAML, or a document that is not an object. */
export class ManifestError extends Error {
  override readonly name = 'ManifestError';
  constructor(
    readonly location: SourceLocation,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${location.file}:${location.line}:${location.column}: ${reason}`, options);
  }
}

export interface ParsedManifests {
  readonly objects: readonly ManifestObject[];
  readonly errors: readonly ManifestError[];
}

/** Parses one file's text; `file` names it in locations ("-" reads better as "<stdin>", the caller's choice). */
export function parseManifests(text: string, file: string): ParsedManifests {
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number): SourceLocation => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };
  const list = Array.isArray(documents) ? documents : [];
  const objects: ManifestObject[] = [];
  const errors: ManifestError[] = [];
  for (const [index, document] of list.entries()) {
    const number = index + 1;
    const syntax = document.errors[0];
    if (syntax) {
      errors.push(new ManifestError(at(syntax.pos[0]), `invalid YAML: ${firstLine(syntax.message)}`, { cause: syntax }));
      continue;
    }
    if (document.contents === null) continue; // an empty document (`---` alone, or only comments), as kubectl skips
    const start = at(rangeStart(document.contents) ?? 0);
    let value: unknown;
    try {
      value = document.toJS({ maxAliasCount: 100 });
    } catch (err) {
      errors.push(new ManifestError(start, `document ${number}: ${err instanceof Error ? err.message : String(err)}`, { cause: err }));
      continue;
    }
    if (value === null || value === undefined) continue;
    collect(value, document, [], number, undefined, start, at, objects, errors);
  }
  return { objects, errors };
}

/** One document's value: an object, or a List whose items are objects (flattened, a List in a List included). */
function collect(
  value: unknown,
  document: Document.Parsed,
  prefix: readonly PointerSegment[],
  number: number,
  item: number | undefined,
  start: SourceLocation,
  at: (offset: number) => SourceLocation,
  objects: ManifestObject[],
  errors: ManifestError[],
): void {
  const where = `document ${number}${item === undefined ? '' : `, item ${item}`}`;
  if (!isJsonObject(value)) {
    errors.push(new ManifestError(start, `${where} is not a Kubernetes object (${describeValue(value)})`));
    return;
  }
  if (typeof value['kind'] !== 'string' || value['kind'] === '' || typeof value['apiVersion'] !== 'string' || value['apiVersion'] === '') {
    errors.push(new ManifestError(start, `${where} is not a Kubernetes object: apiVersion and kind are required`));
    return;
  }
  const items = value['items'];
  if (value['kind'].endsWith('List') && Array.isArray(items)) {
    items.forEach((child: unknown, i) => {
      const path = [...prefix, 'items', i];
      const childStart = locateIn(document, path, at) ?? start;
      collect(child, document, path, number, i, childStart, at, objects, errors);
    });
    return;
  }
  objects.push({
    object: value,
    location: start,
    document: number,
    ...(item === undefined ? {} : { item }),
    locate: (path) => locateIn(document, [...prefix, ...path], at),
  });
}

function locateIn(document: Document.Parsed, path: readonly PointerSegment[], at: (offset: number) => SourceLocation): SourceLocation | undefined {
  const node: unknown = document.getIn(path, true);
  const start = rangeStart(node);
  return start === undefined ? undefined : at(start);
}

function rangeStart(node: unknown): number | undefined {
  return isNode(node) && node.range ? node.range[0] : undefined;
}

function firstLine(message: string): string {
  return message.split('\n')[0]?.trim() ?? message;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a sequence';
  return `a ${typeof value}`;
}
