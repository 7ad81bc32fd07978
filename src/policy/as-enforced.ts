import { isJsonObject } from '../shared/records.js';

/**
 * A DistrolessPolicy document as it would read after switching it to Enforce: `spec.mode` DryRun (or unset, whose
 * default is DryRun) becomes Enforce, and so does every `spec.rules.<rule>.action: DryRun`; Disabled (or `Off`) stays so, and
 * `spec.mutate` is left alone (an audit judges, it does not patch). Works on the raw document, before validation,
 * so a malformed one is passed through untouched and rejected by the store as it would be anyway.
 */
export function asEnforced(document: unknown): unknown {
  if (!isJsonObject(document) || !isJsonObject(document['spec'])) return document;
  const spec = document['spec'];
  const mode = spec['mode'] === undefined || spec['mode'] === 'DryRun' ? 'Enforce' : spec['mode'];
  const rules = isJsonObject(spec['rules'])
    ? Object.fromEntries(Object.entries(spec['rules']).map(([name, rule]) => [name, isJsonObject(rule) && rule['action'] === 'DryRun' ? { ...rule, action: 'Enforce' } : rule]))
    : spec['rules'];
  return { ...document, spec: { ...spec, mode, ...(rules === undefined ? {} : { rules }) } };
}
