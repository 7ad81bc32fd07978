/** A JSON object as received: keys are known only after checking. */
export type JsonObject = { readonly [key: string]: unknown };

/** Whether a parsed JSON value is an object (not null, not an array). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether an object has no own enumerable key, without building the key list (admissions ask this on every call). */
export function isEmptyRecord(record: Readonly<Record<string, unknown>>): boolean {
  for (const key in record) if (Object.hasOwn(record, key)) return false;
  return true;
}
