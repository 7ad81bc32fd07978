/**
 * A Helm post-renderer (run as a `postrenderer/v1` plugin by test/e2e/helm.test.ts): the chart's rendering with the
 * webhooks' Service reference rewritten to https://127.0.0.1:PORT, the same rewrite e2e-guard.ts makes of the
 * kustomize install (envtest's: no kubelet runs the Deployment, no kube-proxy routes a ClusterIP). Everything else
 * passes through as the chart rendered it. Usage: node --import tsx helm-post-renderer.ts PORT < manifests
 */
import { text } from 'node:stream/consumers';
import { parseAllDocuments, stringify } from 'yaml';
import { withUrlWebhooks, type KubeDoc } from './e2e-guard.js';

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  process.stderr.write(`helm-post-renderer: "${process.argv[2] ?? ''}" is not a port\n`);
  process.exit(2);
}
const documents = parseAllDocuments(await text(process.stdin), { version: '1.1' });
const failed = documents.find((d) => d.errors.length > 0);
if (failed) {
  process.stderr.write(`helm-post-renderer: not valid YAML: ${failed.errors[0]?.message}\n`);
  process.exit(1);
}
const objects = documents.map((d) => d.toJS() as KubeDoc | null).filter((o): o is KubeDoc => o !== null);
process.stdout.write(objects.map((o) => stringify(withUrlWebhooks(o, port), { version: '1.1' })).join('---\n'));
