import { Ajv, type ErrorObject } from 'ajv';
import { parseAllDocuments, type Document } from 'yaml';
import { closedSchema, INT_OR_STRING, policyDocumentSchema, PRESERVE_UNKNOWN } from './schema.js';
import { ACTIONS, DEPRECATED_OFF, RULE_NAMES, type DistrolessPolicy } from './types.js';

/** A policy document that cannot be used; the message names the source and the field. */
export class PolicyLoadError extends Error {
  override readonly name = 'PolicyLoadError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

// verbose: a type error carries the value found, so the message can say what YAML made of it.
// No code optimisation pass: it would make each validation a little faster, but it is most of the compile time, which
// every start of a command that loads policies pays (policies are validated when they change, not per admission).
const ajv = new Ajv({ allErrors: true, strict: true, useDefaults: false, verbose: true, code: { optimize: false } });
ajv.addKeyword(PRESERVE_UNKNOWN);
ajv.addKeyword(INT_OR_STRING);
const validateDocument = ajv.compile<DistrolessPolicy>(closedSchema(policyDocumentSchema));

/** The text a value was written as in its YAML source (a plain scalar's own characters), when known. */
export type SourceText = (path: readonly (string | number)[]) => string | undefined;

/**
 * Parses one or more DistrolessPolicy documents from YAML (or JSON) the way kubectl reads a file: as YAML 1.1, so
 * an unquoted `Off`, `no` or `yes` is a boolean here too and is refused here as the API server refuses it (with
 * the YAML 1.1 reading named), and what this accepts `kubectl apply` accepts. Multi-document files, Lists (`kubectl
 * get dgp -o yaml`) and objects as the API server returns them (status and server-set metadata ignored) are read.
 * All-or-nothing: one invalid document fails the whole load, so the guard never runs with a half-read policy.
 */
export function parsePolicies(text: string, source: string): DistrolessPolicy[] {
  const documents = parseAllDocuments(text, { prettyErrors: true, version: '1.1' });
  const policies: DistrolessPolicy[] = [];
  const names = new Set<string>();
  for (const [index, document] of documents.entries()) {
    const where = documents.length > 1 ? `${source} (document ${index + 1})` : source;
    const syntaxError = document.errors[0];
    if (syntaxError) throw new PolicyLoadError(`${where}: invalid YAML: ${syntaxError.message}`, { cause: syntaxError });
    const value: unknown = document.toJS();
    if (value === null || value === undefined) continue;
    for (const { object, at, path } of listItems(value, where)) {
      policies.push(validatePolicy(withoutStatus(object), at, sourceTextIn(document, path)));
      const name = policies.at(-1)?.metadata.name ?? '';
      if (names.has(name)) throw new PolicyLoadError(`${at}: a second policy is named "${name}"; names must be unique`);
      names.add(name);
    }
  }
  if (policies.length === 0) throw new PolicyLoadError(`${source}: no DistrolessPolicy document found`);
  return policies;
}

/** A List (`kind: List`, or `DistrolessPolicyList`) is its items, each where it is; anything else is itself. */
function listItems(value: unknown, where: string): { object: unknown; at: string; path: (string | number)[] }[] {
  const record = isRecord(value) ? value : undefined;
  const kind = typeof record?.['kind'] === 'string' ? record['kind'] : '';
  if (!kind.endsWith('List') || !Array.isArray(record?.['items'])) return [{ object: value, at: where, path: [] }];
  return (record['items'] as unknown[]).map((object, i) => ({ object, at: `${where} (item ${i + 1})`, path: ['items', i] }));
}

/**
 * What the API server would validate: `status` is its own (kubectl get -o yaml prints it; the status subresource
 * makes a write ignore it), and a null field is pruned before defaulting and validation (none of ours is nullable).
 */
function withoutStatus(object: unknown): unknown {
  if (!isRecord(object)) return object;
  const { status: _status, ...rest } = object;
  return withoutNulls(rest);
}

function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (!isRecord(value)) return value;
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null).map(([k, v]) => [k, withoutNulls(v)]));
}

function sourceTextIn(document: Document, prefix: readonly (string | number)[]): SourceText {
  return (path) => {
    const node: unknown = document.getIn([...prefix, ...path], true);
    return isRecord(node) && typeof node['source'] === 'string' && node['type'] === 'PLAIN' ? node['source'] : undefined;
  };
}

export function validatePolicy(value: unknown, where: string, sourceText?: SourceText): DistrolessPolicy {
  const errors = validateDocument(value) ? crossFieldErrors(value) : schemaErrors(validateDocument.errors ?? []).map((e) => describeError(e, sourceText));
  if (errors.length === 0) return value as DistrolessPolicy;
  throw new PolicyLoadError(`${where}: invalid DistrolessPolicy: ${[...new Set(errors)].join('; ')}`);
}

/**
 * What a valid policy should still change: the deprecated action spelling `Off` (read as Disabled). Shown in the
 * policy's status, logged by serve, and printed by check and audit.
 */
export function policyWarnings(policy: DistrolessPolicy): string[] {
  const spelled = [
    ...RULE_NAMES.map((rule) => [`spec.rules.${rule}.action`, policy.spec.rules?.[rule]?.action] as const),
    ['spec.mutate.action', policy.spec.mutate?.action] as const,
  ];
  return spelled
    .filter(([, action]) => action === DEPRECATED_OFF)
    .map(([field]) => `${field}: "Off" is deprecated and read as Disabled (unquoted, YAML 1.1 readers such as kubectl take Off for false): write Disabled`);
}

/** What one JSON schema cannot say: names that must be unique (the API server would reject the injected pod). */
function crossFieldErrors(policy: DistrolessPolicy): string[] {
  const errors: string[] = [];
  const names = new Set<string>();
  const mountPaths = new Map<string, string>();
  for (const [index, init] of (policy.spec.mutate?.initContainers ?? []).entries()) {
    if (names.has(init.name)) errors.push(`spec.mutate.initContainers.${index}.name "${init.name}" is declared twice`);
    names.add(init.name);
    const { name, mountPath } = init.volume;
    const earlier = mountPaths.get(name);
    if (earlier !== undefined && earlier !== mountPath) {
      errors.push(`spec.mutate.initContainers.${index}.volume "${name}" is mounted at ${earlier} by another init container; one volume, one path`);
    }
    mountPaths.set(name, mountPath);
  }
  return errors;
}

/** A value of the wrong type fails its enum too: the type error alone says what is wrong there. */
function schemaErrors(errors: readonly ErrorObject[]): ErrorObject[] {
  const mistyped = new Set(errors.filter((e) => e.keyword === 'type').map((e) => e.instancePath));
  return errors.filter((e) => e.keyword === 'type' || !mistyped.has(e.instancePath));
}

function describeError(error: ErrorObject, sourceText: SourceText | undefined): string {
  const field = error.instancePath ? error.instancePath.slice(1).replaceAll('/', '.') : '(document)';
  switch (error.keyword) {
    case 'additionalProperties':
      return `${field === '(document)' ? '' : `${field}.`}${String(error.params['additionalProperty'])} is not a known field`;
    case 'enum': {
      // The deprecated spelling is accepted but not advertised.
      const allowed = (error.params['allowedValues'] as unknown[]).filter((v) => v !== DEPRECATED_OFF);
      return `${field} must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`;
    }
    case 'required':
      return `${field === '(document)' ? '' : `${field}.`}${String(error.params['missingProperty'])} is required`;
    case 'type':
      return `${field} must be of type ${String(error.params['type'])}, not ${describeValue(error.data)}${yaml11Hint(error, sourceText)}`;
    default:
      return `${field} ${error.message ?? 'is invalid'}`;
  }
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `the ${typeof value} ${JSON.stringify(value)}`;
}

/**
 * A string field that holds a boolean, a number or null because of how YAML 1.1 reads a plain scalar (the API
 * server refuses it the same way: `Invalid value: "boolean": ... must be of type string`): say so, with the fix.
 */
function yaml11Hint(error: ErrorObject, sourceText: SourceText | undefined): string {
  if (error.params['type'] !== 'string' || typeof error.data === 'string' || typeof error.data === 'object' && error.data !== null) return '';
  const path = error.instancePath.split('/').slice(1).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  const written = sourceText?.(path);
  if (written === undefined) return '';
  const action = /(^|\.)action$/.test(path.join('.')) && /^off$/i.test(written) ? `; write ${ACTIONS[2]}` : `; quote it: "${written}"`;
  return `: YAML 1.1, as kubectl reads it, takes an unquoted ${written} for ${describeValue(error.data).replace(/^the \w+ /, '')}${action}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
