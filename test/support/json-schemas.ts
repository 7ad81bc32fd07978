/**
 * The JSON schemas machine-readable outputs are held to: the repository's own (schemas/, documented in docs/cli.md)
 * and the vendored SARIF 2.1.0 schema (test/fixtures/sarif). Each validator returns the errors, [] when valid.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS with a default export; under NodeNext its default import is the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

const ROOT = resolve(import.meta.dirname, '../..');
const load = (path: string): Record<string, unknown> => JSON.parse(readFileSync(resolve(ROOT, path), 'utf8')) as Record<string, unknown>;

// strictRequired is an ajv lint (a `required` name not listed under `properties` of the same subschema), which
// standard schemas like SARIF's, and the if/then of ours, legitimately do; every other strict check stays on.
const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false });
addFormats(ajv);
// The audit schema refers to the check schema's finding by its $id.
const checkSchema = load('schemas/check-report.schema.json');
ajv.addSchema(checkSchema);
const checkReport = ajv.getSchema(String(checkSchema['$id']));
if (checkReport === undefined) throw new Error('schemas/check-report.schema.json has no $id');
const auditReport = ajv.compile(load('schemas/audit-report.schema.json'));
const inspectReport = ajv.compile(load('schemas/inspect-report.schema.json'));
const sarif = ajv.compile(load('test/fixtures/sarif/sarif-schema-2.1.0.json'));

function errorsOf(validate: ((data: unknown) => boolean) & { errors?: ErrorObject[] | null }): (data: unknown) => string[] {
  return (data) => (validate(data) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? ''} ${JSON.stringify(e.params)}`));
}

export const schemaErrors = {
  checkReport: errorsOf(checkReport),
  auditReport: errorsOf(auditReport),
  inspectReport: errorsOf(inspectReport),
  sarif: errorsOf(sarif),
};
