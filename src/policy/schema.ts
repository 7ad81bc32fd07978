import { ACTIONS, DEPRECATED_OFF, MODES, PIN_DIGEST_MODES, POLICY_API_VERSION, POLICY_KIND, RULE_NAMES } from './types.js';

/**
 * The one schema of a DistrolessPolicy: the CRD's openAPIV3Schema (structural, so the API server can prune and
 * validate) and, with unknown fields forbidden, the validator of policy files.
 */
type Schema = { readonly [key: string]: unknown };

/** Kubernetes' marker for objects that keep fields the schema does not list (here: metadata). */
export const PRESERVE_UNKNOWN = 'x-kubernetes-preserve-unknown-fields';
/** Kubernetes' marker for quantities, which may be written as a number or a string ("1", 1, "100m"). */
export const INT_OR_STRING = 'x-kubernetes-int-or-string';

/** RFC 1123 label, as Kubernetes requires of container and volume names. */
const DNS_LABEL: Schema = { type: 'string', minLength: 1, maxLength: 63, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' };
/**
 * An absolute path without "." or ".." components, empty components or a trailing slash. RE2 syntax (no
 * lookahead): the API server compiles CRD patterns with Go's regexp.
 */
const ABSOLUTE_PATH: Schema = { type: 'string', pattern: '^(/([^/.][^/]*|\\.[^/.][^/]*|\\.\\.[^/]+))+$' };
const quantities: Schema = { type: 'object', additionalProperties: { [INT_OR_STRING]: true, anyOf: [{ type: 'integer' }, { type: 'string' }] } };

const stringList = (description: string): Schema => ({ type: 'array', description, items: { type: 'string', minLength: 1 } });

const labelSelector: Schema = {
  type: 'object',
  properties: {
    matchLabels: { type: 'object', additionalProperties: { type: 'string' } },
    matchExpressions: {
      type: 'array',
      items: {
        type: 'object',
        required: ['key', 'operator'],
        properties: {
          key: { type: 'string', minLength: 1 },
          operator: { type: 'string', enum: ['In', 'NotIn', 'Exists', 'DoesNotExist'] },
          values: { type: 'array', items: { type: 'string' } },
        },
      },
    },
  },
};

const resourceFilter: Schema = {
  type: 'object',
  properties: {
    namespaces: stringList('Namespace name globs'),
    namespaceSelector: labelSelector,
    images: stringList('Image reference globs, e.g. registry.k8s.io/*'),
    serviceAccounts: stringList('Service account globs: "namespace:name" or "name"'),
  },
};

/**
 * The deprecated `Off` stays in the enum: policies stored or written with it (quoted) keep validating, and the guard
 * reads it as Disabled with a warning (in the policy's status, the log, and the CLI's standard error).
 */
const action = (what: string): Schema => ({ type: 'string', enum: [...ACTIONS, DEPRECATED_OFF], description: `${what}: Enforce, DryRun or Disabled ("Off" is deprecated)` });

const ruleSpec: Schema = {
  type: 'object',
  properties: {
    action: action('Overrides spec.mode for this rule'),
    allowOptOut: { type: 'boolean', description: 'Pods may opt out of this rule with the distroless-guard.io/opt-out annotation and a reason' },
    exceptions: {
      type: 'array',
      items: {
        type: 'object',
        required: ['images', 'reason'],
        properties: { images: { ...stringList('Image globs exempt from this rule'), minItems: 1 }, reason: { type: 'string', minLength: 1 } },
      },
    },
  },
};

const initContainer: Schema = {
  type: 'object',
  required: ['name', 'image', 'volume'],
  properties: {
    name: DNS_LABEL,
    image: { type: 'string', minLength: 1 },
    command: { type: 'array', items: { type: 'string' } },
    args: { type: 'array', items: { type: 'string' } },
    env: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name'],
        properties: { name: { type: 'string', minLength: 1 }, value: { type: 'string' }, valueFrom: { type: 'object', [PRESERVE_UNKNOWN]: true } },
      },
    },
    resources: { type: 'object', properties: { limits: quantities, requests: quantities } },
    podSelector: labelSelector,
    volume: { type: 'object', required: ['name', 'mountPath'], properties: { name: DNS_LABEL, mountPath: ABSOLUTE_PATH } },
    allowRoot: { type: 'boolean' },
  },
};

const mutateSpec: Schema = {
  type: 'object',
  properties: {
    action: action('What the mutating webhook does (default spec.mode)'),
    securityContext: { type: 'boolean' },
    runAsUserFromImage: { type: 'boolean' },
    // runAsUser's range in the API server (validation.go: 0..2147483647); 0 would be no fallback at all.
    rootFallbackUid: { type: 'integer', minimum: 1, maximum: 2147483647 },
    readOnlyRootFilesystem: { type: 'boolean' },
    writableDirs: { type: 'array', items: ABSOLUTE_PATH },
    pinDigest: { type: 'string', enum: [...PIN_DIGEST_MODES] },
    initContainers: { type: 'array', items: initContainer },
  },
};

export const policySpecSchema: Schema = {
  type: 'object',
  properties: {
    mode: { type: 'string', enum: [...MODES], default: 'DryRun' },
    match: resourceFilter,
    exclude: resourceFilter,
    production: { type: 'object', properties: { namespaces: stringList('Production namespace globs'), namespaceSelector: labelSelector } },
    // Defaulted by the API server too, so `kubectl get dgp` shows the failure policy in force, never a blank.
    failurePolicy: { type: 'string', enum: ['Fail', 'Ignore'], default: 'Fail' },
    rules: { type: 'object', properties: Object.fromEntries(RULE_NAMES.map((rule) => [rule, ruleSpec])) },
    mutate: mutateSpec,
  },
};

export const policyDocumentSchema: Schema = {
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    apiVersion: { type: 'string', enum: [POLICY_API_VERSION] },
    kind: { type: 'string', enum: [POLICY_KIND] },
    metadata: {
      type: 'object',
      [PRESERVE_UNKNOWN]: true,
      required: ['name'],
      properties: { name: { type: 'string', minLength: 1 }, generation: { type: 'integer' } },
    },
    spec: policySpecSchema,
  },
};

/** A copy of the schema with `additionalProperties: false` wherever properties are listed, so typos are errors. */
export function closedSchema(schema: Schema): Schema {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'properties' && isSchema(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, isSchema(v) ? closedSchema(v) : v]));
    } else if ((key === 'items' || key === 'additionalProperties') && isSchema(value)) {
      out[key] = closedSchema(value);
    } else {
      out[key] = value;
    }
  }
  const open = schema[PRESERVE_UNKNOWN] === true || 'additionalProperties' in schema;
  if ('properties' in schema && !open) out['additionalProperties'] = false;
  return out;
}

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
