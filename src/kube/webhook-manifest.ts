import { parseAllDocuments, type Document } from 'yaml';
import { quoteMisreadable } from '../shared/portable-yaml.js';

export interface WebhookManifestTarget {
  /** base64 of the CA PEM. */
  readonly caBundle: string;
  readonly service: string;
  readonly namespace: string;
}

const WEBHOOK_KINDS = new Set(['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']);
const NAME_LABEL = 'kubernetes.io/metadata.name';

export class WebhookManifestError extends Error {
  override readonly name = 'WebhookManifestError';
}

/**
 * The webhook configurations of a manifest file (other documents are dropped), pointed at `service` in `namespace`
 * with the caBundle filled in; the namespaceSelector's exclusion of the guard's own namespace follows the namespace.
 * Comments and layout are kept.
 */
export function webhooksWithCaBundle(yamlText: string, target: WebhookManifestTarget, origin: string): string {
  // Read as kubectl reads it (YAML 1.1); what is written back quotes whatever a reader could misread.
  const documents = parseAllDocuments(yamlText, { version: '1.1' });
  const kept: Document[] = [];
  for (const doc of documents) {
    if (!('errors' in doc) || doc.errors.length > 0) throw new WebhookManifestError(`${origin}: not valid YAML: ${'errors' in doc ? doc.errors[0]?.message : 'empty document'}`);
    if (!WEBHOOK_KINDS.has(String(doc.get('kind')))) continue;
    const webhooks: unknown = doc.getIn(['webhooks']);
    const count = isSeq(webhooks) ? webhooks.items.length : 0;
    for (let i = 0; i < count; i++) {
      const oldNamespace = doc.getIn(['webhooks', i, 'clientConfig', 'service', 'namespace']);
      if (oldNamespace === undefined) throw new WebhookManifestError(`${origin}: webhook ${i} of ${String(doc.getIn(['metadata', 'name']))} has no clientConfig.service`);
      doc.setIn(['webhooks', i, 'clientConfig', 'service', 'name'], target.service);
      doc.setIn(['webhooks', i, 'clientConfig', 'service', 'namespace'], target.namespace);
      doc.setIn(['webhooks', i, 'clientConfig', 'caBundle'], target.caBundle);
      excludeNamespace(doc, i, String(oldNamespace), target.namespace);
    }
    kept.push(doc);
  }
  if (kept.length === 0) throw new WebhookManifestError(`${origin}: no ValidatingWebhookConfiguration or MutatingWebhookConfiguration`);
  return kept.map((doc) => quoteMisreadable(doc).toString({ lineWidth: 0 }).replace(/^---\n/, '')).join('---\n');
}

function excludeNamespace(doc: Document, webhook: number, from: string, to: string): void {
  const expressions: unknown = doc.getIn(['webhooks', webhook, 'namespaceSelector', 'matchExpressions']);
  const count = isSeq(expressions) ? expressions.items.length : 0;
  for (let e = 0; e < count; e++) {
    const path = ['webhooks', webhook, 'namespaceSelector', 'matchExpressions', e];
    if (doc.getIn([...path, 'key']) !== NAME_LABEL || doc.getIn([...path, 'operator']) !== 'NotIn') continue;
    const values: unknown = doc.getIn([...path, 'values']);
    const n = isSeq(values) ? values.items.length : 0;
    for (let v = 0; v < n; v++) if (doc.getIn([...path, 'values', v]) === from) doc.setIn([...path, 'values', v], to);
  }
}

function isSeq(node: unknown): node is { items: unknown[] } {
  return typeof node === 'object' && node !== null && 'items' in node && Array.isArray(node.items);
}
