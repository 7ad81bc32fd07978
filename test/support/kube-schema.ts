import * as k8s from '@kubernetes/client-node';
import type { KubeObject } from './kustomize.js';

/**
 * Validation of manifests against the Kubernetes OpenAPI schemas, as `kubectl apply` (server-side, strict field
 * validation) would: types, required fields and enums from kubernetes-models' JSON schemas (generated from the
 * Kubernetes OpenAPI; @kubernetes-models/cert-manager and @kubernetes-models/prometheus-operator for those CRDs), and unknown fields from
 * @kubernetes/client-node's models (generated from the same OpenAPI), since those JSON schemas allow extra fields.
 */

/** Kinds with no schema here, each with the reason it is fine to skip them. Anything else without one fails. */
export const NO_SCHEMA: Readonly<Record<string, string>> = {
  'distroless-guard.io/DistrolessPolicy': "the project's own custom resource: the API server validates it against the openAPIV3Schema of its CRD",
};

export type SchemaResult = { readonly kind: 'validated'; readonly errors: readonly string[] } | { readonly kind: 'skipped'; readonly reason: string };

interface ValidatingModel {
  validate(): void;
}
type ModelClass = new (data: unknown) => ValidatingModel;

const MODEL_PACKAGES: ReadonlyArray<{ readonly groups: (group: string) => boolean; readonly prefix: string }> = [
  { groups: (g) => g === 'cert-manager.io' || g === 'acme.cert-manager.io', prefix: '@kubernetes-models/cert-manager' },
  { groups: (g) => g === 'monitoring.coreos.com', prefix: '@kubernetes-models/prometheus-operator' },
  { groups: (g) => g === '' || g.endsWith('.k8s.io') || !g.includes('.'), prefix: 'kubernetes-models' },
];

export function groupVersionOf(o: KubeObject): { group: string; version: string } {
  const [group, version] = o.apiVersion.includes('/') ? (o.apiVersion.split('/') as [string, string]) : ['', o.apiVersion];
  return { group, version };
}

async function modelClass(o: KubeObject): Promise<ModelClass | undefined> {
  const { group, version } = groupVersionOf(o);
  const source = MODEL_PACKAGES.find((p) => p.groups(group));
  if (!source || !/^[A-Za-z]+$/.test(o.kind)) return undefined;
  const path = `${source.prefix}/${group === '' ? '' : `${group}/`}${version}/${o.kind}`;
  try {
    const module = (await import(path)) as Record<string, unknown>;
    const model = module[o.kind];
    return typeof model === 'function' ? (model as ModelClass) : undefined;
  } catch {
    return undefined;
  }
}

export async function validateAgainstSchema(o: KubeObject): Promise<SchemaResult> {
  const { group } = groupVersionOf(o);
  const skip = NO_SCHEMA[`${group}/${o.kind}`];
  if (skip !== undefined) return { kind: 'skipped', reason: skip };
  const Model = await modelClass(o);
  if (!Model) throw new Error(`${o.apiVersion} ${o.kind}: no schema known; add its models package or an entry to NO_SCHEMA with the reason`);
  const errors: string[] = [];
  try {
    new Model(structuredClone(o)).validate();
  } catch (err) {
    errors.push(err instanceof Error ? err.message : String(err));
  }
  errors.push(...unknownFields(o));
  return { kind: 'validated', errors };
}

interface AttributeType {
  readonly baseName: string;
  readonly type: string;
}
type ClientModel = { getAttributeTypeMap(): AttributeType[] };
const CLIENT_MODELS = k8s as unknown as Record<string, Partial<ClientModel> | undefined>;

/** Fields the Kubernetes OpenAPI does not define for the object's kind (what strict field validation rejects). */
export function unknownFields(o: KubeObject): string[] {
  const { version } = groupVersionOf(o);
  const typeName = `${version.charAt(0).toUpperCase()}${version.slice(1)}${o.kind}`;
  if (!CLIENT_MODELS[typeName]?.getAttributeTypeMap) return [];
  const errors: string[] = [];
  walk(o, typeName, '', errors);
  return errors;
}

function walk(value: unknown, type: string, path: string, errors: string[]): void {
  if (value === null || value === undefined) return;
  const array = /^Array<(.+)>$/.exec(type);
  if (array) {
    if (Array.isArray(value)) value.forEach((item, i) => walk(item, array[1] as string, `${path}[${i}]`, errors));
    return;
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) {
    if (typeof value === 'object') for (const [key, item] of Object.entries(value)) walk(item, map[1] as string, `${path}.${key}`, errors);
    return;
  }
  const model = CLIENT_MODELS[type];
  if (!model?.getAttributeTypeMap || typeof value !== 'object' || Array.isArray(value)) return;
  const attributes = new Map(model.getAttributeTypeMap().map((a) => [a.baseName, a.type]));
  for (const [key, item] of Object.entries(value)) {
    const itemType = attributes.get(key);
    if (itemType === undefined) errors.push(`${path ? path.slice(1) : ''}${path ? '.' : ''}${key}: unknown field (not in ${type})`);
    else walk(item, itemType, `${path}.${key}`, errors);
  }
}
