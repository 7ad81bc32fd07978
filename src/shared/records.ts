/** Whether an object has no own enumerable key, without building the key list (admissions ask this on every call). */
export function isEmptyRecord(record: Readonly<Record<string, unknown>>): boolean {
  for (const key in record) if (Object.hasOwn(record, key)) return false;
  return true;
}
