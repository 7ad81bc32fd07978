/**
 * Any namespace: the kustomize install moved with `namespace: security` plus manifests/transformers/guard-namespace
 * (docs/install.md) names `security` wherever it names the guard's namespace, rendered by the real `kubectl
 * kustomize` and by test/support/kustomize.ts alike. The Helm half is in test/chart/chart.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { serviceDnsNames } from '../../src/server/tls/generate.js';
import { leftoverReferences, namespaceReferences } from '../support/guard-namespace.js';
import { kustomize, MANIFESTS, sortById } from '../support/helm.js';
import { renderKustomization } from '../support/kustomize.js';

const TRANSFORMER = 'manifests/transformers/guard-namespace';
const installs: ReadonlyArray<{ name: string; resources: string[]; components?: string[] }> = [
  { name: 'the base', resources: ['manifests'] },
  { name: 'the dry-run overlay', resources: ['manifests/overlays/dry-run'] },
  { name: 'the cert-manager overlay with monitoring', resources: ['manifests/overlays/cert-manager'], components: ['manifests/components/monitoring'] },
];

describe('kustomize: the guard in namespace "security"', () => {
  for (const install of installs) {
    it(`${install.name}: nothing names distroless-guard as a namespace any more; the exclusion, Service and RBAC name security`, async () => {
      const objects = await kustomize({ namespace: 'security', transformers: [TRANSFORMER], ...install });
      assert.deepEqual(leftoverReferences(objects, 'security'), []);
      const references = namespaceReferences(objects);
      const at = (pattern: RegExp) => references.filter((r) => pattern.test(r.where)).map((r) => r.namespace);
      for (const kind of ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']) {
        assert.deepEqual(at(new RegExp(`^${kind}/.*namespaceSelector`)), ['security', 'kube-system'], `${kind} excludes the guard's own namespace`);
        assert.deepEqual(at(new RegExp(`^${kind}/.*clientConfig\\.service\\.namespace`)), ['security']);
      }
      assert.deepEqual([...new Set(at(/^(ClusterRoleBinding|RoleBinding)\/.*subjects/))], ['security']);
      if (install.name.includes('cert-manager')) {
        assert.deepEqual(at(/inject-ca-from/), ['security', 'security']);
        const certificate = objects.find((o) => o.kind === 'Certificate' && o.metadata.name === 'distroless-guard') as
          { spec?: { dnsNames?: string[] } } | undefined;
        assert.deepEqual(
          [...(certificate?.spec?.dnsNames ?? [])].sort(),
          serviceDnsNames('distroless-guard', 'security').sort(),
          'the names kube-apiserver verifies',
        );
      }
    });
  }

  it('without the transformer, the webhooks would still exclude distroless-guard (why docs/install.md asks for it)', async () => {
    const objects = await kustomize({ namespace: 'security', resources: ['manifests'] });
    assert.ok(leftoverReferences(objects, 'security').some((where) => /namespaceSelector/.test(where)));
  });

  it('test/support/kustomize.ts renders the same as kubectl kustomize (transformers, components, replacements)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dg-ns-'));
    try {
      const rel = (p: string) => relative(dir, join(MANIFESTS, '..', p));
      await writeFile(
        join(dir, 'kustomization.yaml'),
        `namespace: security\nresources: [${rel('manifests/overlays/cert-manager')}]\n` +
          `components: [${rel('manifests/components/monitoring')}]\ntransformers: [${rel(TRANSFORMER)}]\n`,
      );
      const ours = (await renderKustomization(dir)).objects;
      const theirs = await kustomize({
        namespace: 'security',
        resources: ['manifests/overlays/cert-manager'],
        components: ['manifests/components/monitoring'],
        transformers: [TRANSFORMER],
      });
      assert.deepEqual(sortById(ours), sortById(theirs));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
