import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { webhooksWithCaBundle } from './webhook-manifest.js';

const MANIFEST = `# kept comment
apiVersion: v1
kind: Namespace
metadata: {name: guard}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: g}
webhooks:
  - name: v.g.io
    clientConfig:
      service: {name: g, namespace: guard, path: /validate}
    namespaceSelector:
      matchExpressions:
        - {key: kubernetes.io/metadata.name, operator: NotIn, values: [guard, kube-system]}
        - {key: team, operator: In, values: [guard]}
`;

describe('webhooksWithCaBundle', () => {
  it('keeps only webhook configurations, fills the caBundle, follows the service and namespace, keeps other selectors', () => {
    const text = webhooksWithCaBundle(MANIFEST, { caBundle: 'Q0E=', service: 's', namespace: 'ns' }, 'm.yaml');
    const docs = parseAllDocuments(text).map((d) => d.toJS() as Record<string, unknown>);
    assert.deepEqual(docs, [
      {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingWebhookConfiguration',
        metadata: { name: 'g' },
        webhooks: [
          {
            name: 'v.g.io',
            clientConfig: { service: { name: 's', namespace: 'ns', path: '/validate' }, caBundle: 'Q0E=' },
            namespaceSelector: {
              matchExpressions: [
                { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['ns', 'kube-system'] },
                { key: 'team', operator: 'In', values: ['guard'] },
              ],
            },
          },
        ],
      },
    ]);
  });

  it('refuses a file without webhook configurations', () => {
    assert.throws(
      () => webhooksWithCaBundle('apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n', { caBundle: '', service: 's', namespace: 'n' }, 'm.yaml'),
      /m\.yaml: no ValidatingWebhookConfiguration/,
    );
  });
});
