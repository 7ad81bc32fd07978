import { readFile, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { apply_patch } from 'jsonpatch';
import { parseAllDocuments } from 'yaml';

/**
 * The subset of kustomize the project's manifests use, rendered without kubectl (CI machines have none):
 * `resources` (files and directories), `namespace`, and `patches` with a target and an inline RFC 6902 patch.
 * Anything else in a kustomization.yaml is refused, so a new feature cannot be skipped silently; where kubectl is
 * installed, test/manifests compares this rendering with `kubectl kustomize`.
 */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Record<string, string>; readonly annotations?: Record<string, string> };
  readonly [field: string]: unknown;
}

export interface Rendered {
  readonly objects: KubeObject[];
  /** Every file read (kustomization files and resources), relative to the root given. */
  readonly files: string[];
}

const SUPPORTED_KEYS = new Set(['apiVersion', 'kind', 'namespace', 'resources', 'patches']);

/** Kinds that have no namespace (kustomize's namespace transformer leaves them alone). */
export const CLUSTER_SCOPED = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
  'CustomResourceDefinition',
  'PriorityClass',
]);

interface PatchTarget {
  readonly group?: string;
  readonly version?: string;
  readonly kind?: string;
  readonly name?: string;
}

export class KustomizeError extends Error {
  override readonly name = 'KustomizeError';
}

export async function renderKustomization(dir: string, root: string = dir): Promise<Rendered> {
  const file = join(dir, 'kustomization.yaml');
  const k = (await readYamlDocuments(file))[0] as Record<string, unknown> | undefined;
  if (!k) throw new KustomizeError(`${file}: empty`);
  for (const key of Object.keys(k)) {
    if (!SUPPORTED_KEYS.has(key)) throw new KustomizeError(`${file}: "${key}" is not supported by test/support/kustomize.ts; teach it, or use patches`);
  }
  const files = [relative(root, file)];
  const objects: KubeObject[] = [];
  for (const entry of (k['resources'] as string[] | undefined) ?? []) {
    const path = resolve(dir, entry);
    if ((await stat(path)).isDirectory()) {
      const sub = await renderKustomization(path, root);
      objects.push(...sub.objects);
      files.push(...sub.files);
    } else {
      files.push(relative(root, path));
      for (const doc of await readYamlDocuments(path)) if (doc !== null) objects.push(asObject(doc, path));
    }
  }
  let result = objects;
  for (const [i, patch] of (((k['patches'] as unknown[]) ?? []) as Array<{ target?: PatchTarget; patch?: string; path?: string }>).entries()) {
    if (!patch.target || typeof patch.patch !== 'string') throw new KustomizeError(`${file}: patches[${i}] needs a target and an inline RFC 6902 patch`);
    const operations = parseAllDocuments(patch.patch)[0]?.toJS() as unknown;
    if (!Array.isArray(operations)) throw new KustomizeError(`${file}: patches[${i}] is not a JSON patch (a list of operations)`);
    const target = patch.target;
    result = result.map((o) => (matches(o, target) ? (apply_patch(structuredClone(o), operations) as KubeObject) : o));
  }
  const namespace = k['namespace'];
  if (typeof namespace === 'string') {
    result = result.map((o) => (CLUSTER_SCOPED.has(o.kind) ? o : { ...o, metadata: { ...o.metadata, namespace } }));
  }
  return { objects: result, files };
}

function matches(o: KubeObject, t: PatchTarget): boolean {
  const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion];
  return (t.group === undefined || t.group === group) && (t.version === undefined || t.version === version) && (t.kind === undefined || t.kind === o.kind) && (t.name === undefined || t.name === o.metadata.name);
}

async function readYamlDocuments(path: string): Promise<unknown[]> {
  const text = await readFile(path, 'utf8');
  return parseAllDocuments(text).map((doc) => {
    if (doc.errors.length > 0) throw new KustomizeError(`${path}: ${doc.errors[0]?.message}`);
    return doc.toJS() as unknown;
  });
}

function asObject(doc: unknown, path: string): KubeObject {
  const o = doc as Partial<KubeObject> | null;
  if (!o || typeof o.apiVersion !== 'string' || typeof o.kind !== 'string' || typeof o.metadata?.name !== 'string') {
    throw new KustomizeError(`${path}: a document without apiVersion, kind and metadata.name`);
  }
  return o as KubeObject;
}

/** Identity of an object in a rendering: group/kind/namespace/name. */
export function idOf(o: KubeObject): string {
  return `${o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : 'core'}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

