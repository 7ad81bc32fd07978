import { Ajv, type ErrorObject } from 'ajv';
import { parseAllDocuments } from 'yaml';
import { closedSchema, INT_OR_STRING, policyDocumentSchema, PRESERVE_UNKNOWN } from './schema.js';
import type { DistrolessPolicy } from './types.js';

/** A policy document that cannot be used; the message names the source and the field. */
export class PolicyLoadError extends Error {
  override readonly name = 'PolicyLoadError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

const ajv = new Ajv({ allErrors: true, strict: true, useDefaults: false });
ajv.addKeyword(PRESERVE_UNKNOWN);
ajv.addKeyword(INT_OR_STRING);
const validateDocument = ajv.compile<DistrolessPolicy>(closedSchema(policyDocumentSchema));

/**
 * Parses one or more DistrolessPolicy documents from YAML (or JSON). All-or-nothing: one invalid document fails
 * the whole load, so the guard never runs with a half-read policy.
 */
export function parsePolicies(text: string, source: string): DistrolessPolicy[] {
  const documents = parseAllDocuments(text, { prettyErrors: true });
  const policies: DistrolessPolicy[] = [];
  const names = new Set<string>();
  for (const [index, document] of documents.entries()) {
    const where = documents.length > 1 ? `${source} (document ${index + 1})` : source;
    const syntaxError = document.errors[0];
    if (syntaxError) throw new PolicyLoadError(`${where}: invalid YAML: ${syntaxError.message}`, { cause: syntaxError });
    const value: unknown = document.toJS();
    if (value === null || value === undefined) continue;
    policies.push(validatePolicy(value, where));
    const name = policies.at(-1)?.metadata.name ?? '';
    if (names.has(name)) throw new PolicyLoadError(`${where}: a second policy is named "${name}"; names must be unique`);
    names.add(name);
  }
  if (policies.length === 0) throw new PolicyLoadError(`${source}: no DistrolessPolicy document found`);
  return policies;
}

export function validatePolicy(value: unknown, where: string): DistrolessPolicy {
  const errors = validateDocument(value) ? crossFieldErrors(value) : (validateDocument.errors ?? []).map(describeError);
  if (errors.length === 0) return value as DistrolessPolicy;
  throw new PolicyLoadError(`${where}: invalid DistrolessPolicy: ${[...new Set(errors)].join('; ')}`);
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

function describeError(error: ErrorObject): string {
  const field = error.instancePath ? error.instancePath.slice(1).replaceAll('/', '.') : '(document)';
  switch (error.keyword) {
    case 'additionalProperties':
      return `${field === '(document)' ? '' : `${field}.`}${String(error.params['additionalProperty'])} is not a known field`;
    case 'enum':
      return `${field} must be one of ${(error.params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'required':
      return `${field === '(document)' ? '' : `${field}.`}${String(error.params['missingProperty'])} is required`;
    default:
      return `${field} ${error.message ?? 'is invalid'}`;
  }
}
