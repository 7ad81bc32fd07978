import { portableYaml } from '../shared/portable-yaml.js';
import { DEFAULT_POLICY_YAML } from './default-policy.js';
import { policyDocumentSchema, policySpecSchema } from './schema.js';
import { POLICY_API_VERSION, POLICY_KIND } from './types.js';

export const [POLICY_GROUP, POLICY_VERSION] = POLICY_API_VERSION.split('/') as [string, string];
export const POLICY_PLURAL = 'distrolesspolicies';

/** How many violations the status lists at most (Gatekeeper's --constraint-violations-limit default is 20). */
export const STATUS_VIOLATIONS_LIMIT = 20;

/** Written by the leader replica (src/kube/policy-status.ts; the audit fields by src/kube/background-audit.ts). */
const statusSchema = {
  type: 'object',
  properties: {
    observedGeneration: { type: 'integer', format: 'int64' },
    warnings: { type: 'array', description: 'What the policy in force should still change (a deprecated spelling)', items: { type: 'string' } },
    auditTimestamp: { type: 'string', format: 'date-time', description: 'When the background audit (serve --audit-interval) last judged the running pods' },
    totalViolations: { type: 'integer', format: 'int64', description: 'Workload and rule pairs the last audit found this policy would deny, every DryRun as Enforce' },
    violations: {
      type: 'array',
      description: `The first ${STATUS_VIOLATIONS_LIMIT} of them (all are in the namespaces' PolicyReports)`,
      items: {
        type: 'object',
        properties: {
          kind: { type: 'string' },
          namespace: { type: 'string' },
          name: { type: 'string' },
          rule: { type: 'string' },
          message: { type: 'string' },
        },
      },
    },
    conditions: {
      type: 'array',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['type'],
      items: {
        type: 'object',
        required: ['type', 'status', 'lastTransitionTime'],
        properties: {
          type: { type: 'string' },
          status: { type: 'string', enum: ['True', 'False', 'Unknown'] },
          reason: { type: 'string' },
          message: { type: 'string' },
          observedGeneration: { type: 'integer', format: 'int64' },
          lastTransitionTime: { type: 'string', format: 'date-time' },
        },
      },
    },
  },
};

/**
 * The DistrolessPolicy CustomResourceDefinition, built from the same schema that validates policy files, so the
 * two cannot drift (manifests/base/crd.yaml is this, written by `npm run gen:crd`; a test compares them).
 * Structural-schema rules (apiextensions.k8s.io/v1) shape the root: `metadata` may not be described beyond its
 * type, and unknown fields are pruned, or refused by kubectl's default strict field validation.
 */
export function policyCrd(): Record<string, unknown> {
  const documentProperties = policyDocumentSchema['properties'] as Record<string, unknown>;
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${POLICY_PLURAL}.${POLICY_GROUP}`, labels: { 'app.kubernetes.io/name': 'distroless-guard' } },
    spec: {
      group: POLICY_GROUP,
      scope: 'Cluster',
      names: { kind: POLICY_KIND, listKind: `${POLICY_KIND}List`, plural: POLICY_PLURAL, singular: 'distrolesspolicy', shortNames: ['dgp'], categories: ['distroless-guard'] },
      versions: [
        {
          name: POLICY_VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: 'Mode', type: 'string', jsonPath: '.spec.mode', description: 'Default action of the rules (Enforce or DryRun)' },
            { name: 'Failure', type: 'string', jsonPath: '.spec.failurePolicy', description: 'When image facts cannot be had: Fail or Ignore' },
            { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
            { name: 'Violations', type: 'integer', jsonPath: '.status.totalViolations', description: 'What the last background audit found it would deny' },
            { name: 'Last Audit', type: 'date', jsonPath: '.status.auditTimestamp' },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: 'Which pods must be distroless, how strictly, and what the mutating webhook hardens.',
              required: ['spec'],
              properties: {
                apiVersion: { type: 'string', enum: (documentProperties['apiVersion'] as { enum: unknown[] }).enum },
                kind: { type: 'string', enum: (documentProperties['kind'] as { enum: unknown[] }).enum },
                metadata: { type: 'object' },
                spec: policySpecSchema,
                status: statusSchema,
              },
            },
          },
        },
      ],
    },
  };
}

/**
 * Written so that every YAML reader reads it as generated, kubectl's YAML 1.1 included: the deprecated enum value
 * `Off` (the boolean false to kubectl when plain) comes out quoted, so the installed CRD allows "Off", not `false`.
 */
export function policyCrdYaml(): string {
  return `# Generated from src/policy/schema.ts by \`npm run gen:crd\`; do not edit by hand.\n${portableYaml(policyCrd())}`;
}

/** The embedded default policy as a cluster object (manifests/base/default-policy.yaml): DryRun everywhere. */
export const DEFAULT_POLICY_MANIFEST = `# Generated from src/policy/default-policy.ts by \`npm run gen:crd\`; the same policy serve embeds.\n${DEFAULT_POLICY_YAML}`;
