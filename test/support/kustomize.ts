import { readFile, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { apply_patch } from 'jsonpatch';
import { parseAllDocuments } from 'yaml';

/**
 * The subset of kustomize the project's manifests use, rendered without kubectl: `resources` (files and
 * directories), `components`, `patches` with a target and an inline RFC 6902 patch (or a `$patch: delete`),
 * `namespace`, and `transformers` naming folders of ReplacementTransformer configs (run last, after `namespace`, as
 * kustomize runs its built-in transformers before the listed ones). Anything else in a kustomization.yaml is
 * refused, so a new feature cannot be skipped silently; test/manifests compares this rendering with `kubectl kustomize`.
 */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Record<string, string>;
    readonly annotations?: Record<string, string>;
  };
  readonly [field: string]: unknown;
}

export interface Rendered {
  readonly objects: KubeObject[];
  /** Every file read (kustomization files and resources), relative to the root given. */
  readonly files: string[];
}

const SUPPORTED_KEYS = new Set(['apiVersion', 'kind', 'namespace', 'resources', 'components', 'patches', 'transformers']);

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
  return build(dir, root, []);
}

/** A Kustomization from nothing, or a Component (`kind: Component`) on top of what its parent accumulated. */
async function build(dir: string, root: string, accumulated: readonly KubeObject[]): Promise<Rendered> {
  const file = join(dir, 'kustomization.yaml');
  const k = (await readYamlDocuments(file))[0] as Record<string, unknown> | undefined;
  if (!k) throw new KustomizeError(`${file}: empty`);
  for (const key of Object.keys(k)) {
    if (!SUPPORTED_KEYS.has(key)) throw new KustomizeError(`${file}: "${key}" is not supported by test/support/kustomize.ts; teach it, or use patches`);
  }
  const isComponent = k['kind'] === 'Component';
  if (isComponent !== (accumulated.length > 0)) throw new KustomizeError(`${file}: a Component only under components:, and only a Component there`);
  const files = [relative(root, file)];
  const objects: KubeObject[] = [...accumulated];
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
  for (const entry of (k['components'] as string[] | undefined) ?? []) {
    const component = await build(resolve(dir, entry), root, result);
    result = component.objects;
    files.push(...component.files);
  }
  for (const [i, patch] of (((k['patches'] as unknown[]) ?? []) as Array<{ target?: PatchTarget; patch?: string; path?: string }>).entries()) {
    if (!patch.target || typeof patch.patch !== 'string') throw new KustomizeError(`${file}: patches[${i}] needs a target and an inline RFC 6902 patch`);
    const operations = parseAllDocuments(patch.patch)[0]?.toJS() as unknown;
    const target = patch.target;
    // A strategic-merge patch of `$patch: delete` alone removes the objects its target selects.
    if (isDeletePatch(operations)) {
      result = result.filter((o) => !matches(o, target));
      continue;
    }
    if (!Array.isArray(operations)) throw new KustomizeError(`${file}: patches[${i}] is not a JSON patch (a list of operations) nor a $patch: delete`);
    result = result.map((o) => (matches(o, target) ? (apply_patch(structuredClone(o), operations) as KubeObject) : o));
  }
  const namespace = k['namespace'];
  if (typeof namespace === 'string') result = inNamespace(result, namespace);
  for (const entry of (k['transformers'] as string[] | undefined) ?? []) {
    const transformers = await renderKustomization(resolve(dir, entry), root);
    files.push(...transformers.files);
    for (const config of transformers.objects) {
      if (config.apiVersion !== 'builtin' || config.kind !== 'ReplacementTransformer')
        throw new KustomizeError(`${entry}: only ReplacementTransformer configs are supported, not ${config.kind}`);
      for (const replacement of (config['replacements'] as Replacement[] | undefined) ?? []) result = replace(result, replacement, entry);
    }
  }
  return { objects: result, files };
}

function isDeletePatch(patch: unknown): boolean {
  return typeof patch === 'object' && patch !== null && !Array.isArray(patch) && (patch as Record<string, unknown>)['$patch'] === 'delete';
}

/**
 * kustomize's `namespace:`: every namespaced object moves, a Namespace object is renamed, and what refers to a moved
 * object by name and namespace follows it (kustomize's name-reference fix-up: ServiceAccount subjects of role
 * bindings, the Service of a webhook's clientConfig).
 */
function inNamespace(objects: readonly KubeObject[], namespace: string): KubeObject[] {
  const moved = new Set(objects.filter((o) => !CLUSTER_SCOPED.has(o.kind)).map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`));
  const follows = (kind: string, ref: { name?: string; namespace?: string }) => moved.has(`${kind}/${ref.namespace ?? ''}/${ref.name ?? ''}`);
  return objects.map((o) => {
    if (o.kind === 'Namespace' && o.apiVersion === 'v1') return { ...o, metadata: { ...o.metadata, name: namespace } };
    if (!CLUSTER_SCOPED.has(o.kind)) o = { ...o, metadata: { ...o.metadata, namespace } };
    if (o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding') {
      const subjects = (o['subjects'] as Array<{ kind: string; name?: string; namespace?: string }> | undefined)?.map((s) =>
        s.kind === 'ServiceAccount' && follows('ServiceAccount', s) ? { ...s, namespace } : s,
      );
      return subjects ? { ...o, subjects } : o;
    }
    if (o.kind === 'ValidatingWebhookConfiguration' || o.kind === 'MutatingWebhookConfiguration') {
      const webhooks = (o['webhooks'] as Array<{ clientConfig?: { service?: { name?: string; namespace?: string } } }> | undefined)?.map((w) =>
        w.clientConfig?.service && follows('Service', w.clientConfig.service)
          ? { ...w, clientConfig: { ...w.clientConfig, service: { ...w.clientConfig.service, namespace } } }
          : w,
      );
      return webhooks ? { ...o, webhooks } : o;
    }
    return o;
  });
}

// --- replacements: the subset used here -----------------------------------------------------------------------

interface Selector {
  readonly group?: string;
  readonly version?: string;
  readonly kind?: string;
  readonly name?: string;
  readonly namespace?: string;
  /** `key` (the annotation exists) or `key=value`. */
  readonly annotationSelector?: string;
}

interface Replacement {
  readonly source: Selector & { readonly fieldPath?: string };
  readonly targets: ReadonlyArray<{
    readonly select: Selector;
    readonly fieldPaths: readonly string[];
    readonly options?: { readonly delimiter?: string; readonly index?: number };
  }>;
}

const SELECTOR_KEYS = new Set(['group', 'version', 'kind', 'name', 'namespace', 'annotationSelector']);

function selects(o: KubeObject, s: Selector, where: string): boolean {
  for (const key of Object.keys(s))
    if (!SELECTOR_KEYS.has(key) && key !== 'fieldPath') throw new KustomizeError(`${where}: selector field "${key}" is not supported`);
  const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion];
  const annotation = s.annotationSelector?.split('=', 2);
  const annotations = o.metadata.annotations ?? {};
  return (
    (s.group === undefined || s.group === group) &&
    (s.version === undefined || s.version === version) &&
    (s.kind === undefined || s.kind === o.kind) &&
    (s.name === undefined || s.name === o.metadata.name) &&
    (s.namespace === undefined || s.namespace === o.metadata.namespace) &&
    (annotation === undefined ||
      (annotation[0] !== undefined && annotation[0] in annotations && (annotation[1] === undefined || annotations[annotation[0]] === annotation[1])))
  );
}

/** kustomize's field paths: dot-separated; `*` every element, `[k=v]` the elements whose k is v, `[a.b]` a key with dots. */
function segmentsOf(path: string): string[] {
  return [...path.matchAll(/\[[^\]]*\]|[^.[\]]+/g)].map((m) => m[0]);
}

type Slot = { readonly container: Record<string, unknown> | unknown[]; readonly key: string | number };

function slots(value: unknown, segments: readonly string[]): Slot[] {
  const [segment, ...rest] = segments;
  if (segment === undefined || typeof value !== 'object' || value === null) return [];
  const next = (container: Record<string, unknown> | unknown[], key: string | number): Slot[] =>
    rest.length === 0 ? (key in container ? [{ container, key }] : []) : slots((container as Record<string | number, unknown>)[key], rest);
  if (Array.isArray(value)) {
    if (segment === '*') return value.flatMap((_, i) => next(value, i));
    const filter = /^\[([^=\]]+)=([^\]]*)\]$/.exec(segment);
    if (filter) return value.flatMap((item, i) => ((item as Record<string, unknown> | null)?.[filter[1] ?? ''] === filter[2] ? next(value, i) : []));
    return /^\d+$/.test(segment) && Number(segment) < value.length ? next(value, Number(segment)) : [];
  }
  return next(value as Record<string, unknown>, segment.startsWith('[') ? segment.slice(1, -1) : segment);
}

function replace(objects: KubeObject[], replacement: Replacement, where: string): KubeObject[] {
  const sources = objects.filter((o) => selects(o, replacement.source, where));
  if (sources.length !== 1) throw new KustomizeError(`${where}: the replacement source selects ${sources.length} objects, not one`);
  const found = slots(sources[0], segmentsOf(replacement.source.fieldPath ?? 'metadata.name'));
  const value = found.length === 1 ? (found[0]?.container as Record<string | number, unknown>)[found[0]?.key ?? ''] : undefined;
  if (typeof value !== 'string') throw new KustomizeError(`${where}: the replacement source has no string at ${replacement.source.fieldPath}`);
  return objects.map((o) => {
    const targets = replacement.targets.filter((t) => selects(o, t.select, where));
    if (targets.length === 0) return o;
    const copy = structuredClone(o) as KubeObject;
    for (const target of targets) {
      for (const path of target.fieldPaths) {
        const at = slots(copy, segmentsOf(path));
        if (at.length === 0) throw new KustomizeError(`${where}: unable to find field "${path}" in ${idOf(o)}`);
        for (const { container, key } of at) {
          const slot = container as Record<string | number, unknown>;
          const { delimiter, index } = target.options ?? {};
          if (delimiter === undefined) slot[key] = value;
          else {
            const parts = String(slot[key]).split(delimiter);
            if (index === undefined || index < 0 || index >= parts.length) throw new KustomizeError(`${where}: index ${index} out of "${String(slot[key])}"`);
            parts[index] = value;
            slot[key] = parts.join(delimiter);
          }
        }
      }
    }
    return copy;
  });
}

function matches(o: KubeObject, t: PatchTarget): boolean {
  const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion];
  return (
    (t.group === undefined || t.group === group) &&
    (t.version === undefined || t.version === version) &&
    (t.kind === undefined || t.kind === o.kind) &&
    (t.name === undefined || t.name === o.metadata.name)
  );
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

