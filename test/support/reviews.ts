import type { V1Container, V1PodSecurityContext, V1Volume } from '@kubernetes/client-node';
import type { ImageFacts } from '../../src/image/facts/types.js';

/** Builders of AdmissionReview bodies shaped as kube-apiserver sends them. */

export interface ReviewOptions {
  readonly uid?: string;
  readonly namespace?: string;
  readonly operation?: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  readonly subResource?: string;
  readonly dryRun?: boolean;
  readonly oldObject?: unknown;
}

interface KindInfo {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly resource: string;
}

export const KINDS = {
  Pod: { group: '', version: 'v1', kind: 'Pod', resource: 'pods' },
  Deployment: { group: 'apps', version: 'v1', kind: 'Deployment', resource: 'deployments' },
  ReplicaSet: { group: 'apps', version: 'v1', kind: 'ReplicaSet', resource: 'replicasets' },
  StatefulSet: { group: 'apps', version: 'v1', kind: 'StatefulSet', resource: 'statefulsets' },
  DaemonSet: { group: 'apps', version: 'v1', kind: 'DaemonSet', resource: 'daemonsets' },
  Job: { group: 'batch', version: 'v1', kind: 'Job', resource: 'jobs' },
  CronJob: { group: 'batch', version: 'v1', kind: 'CronJob', resource: 'cronjobs' },
  ConfigMap: { group: '', version: 'v1', kind: 'ConfigMap', resource: 'configmaps' },
} as const satisfies Record<string, KindInfo>;

export interface PodSpecInput {
  readonly containers: readonly V1Container[];
  readonly initContainers?: readonly V1Container[];
  readonly ephemeralContainers?: readonly V1Container[];
  readonly securityContext?: V1PodSecurityContext;
  readonly os?: { name: string };
  readonly serviceAccountName?: string;
  readonly volumes?: readonly V1Volume[];
}

export function podSpec(...images: string[]): PodSpecInput {
  return { containers: images.map((image, i) => ({ name: i === 0 ? 'app' : `app${i + 1}`, image })) };
}

/**
 * The object of the given kind wrapping `spec` where that kind keeps its pod template. Pod labels (`app: name` and
 * `labels`) go on the template; a Pod carries only `labels`.
 */
export function objectOf(kind: keyof typeof KINDS, name: string, spec: PodSpecInput, labels?: Record<string, string>): Record<string, unknown> {
  const info = KINDS[kind];
  const apiVersion = info.group ? `${info.group}/${info.version}` : info.version;
  const template = { metadata: { labels: { app: name, ...labels } }, spec };
  const specOf: Record<string, unknown> = {
    Pod: spec,
    Deployment: { replicas: 2, selector: { matchLabels: { app: name } }, template },
    ReplicaSet: { replicas: 2, selector: { matchLabels: { app: name } }, template },
    StatefulSet: { serviceName: name, selector: { matchLabels: { app: name } }, template },
    DaemonSet: { selector: { matchLabels: { app: name } }, template },
    Job: { template: { ...template, spec: { ...spec, restartPolicy: 'Never' } } },
    CronJob: { schedule: '*/5 * * * *', jobTemplate: { spec: { template: { ...template, spec: { ...spec, restartPolicy: 'OnFailure' } } } } },
    ConfigMap: undefined,
  };
  const metadata = { name, namespace: 'default', ...(kind === 'Pod' && labels ? { labels } : {}) };
  return { apiVersion, kind, metadata, ...(kind === 'ConfigMap' ? { data: {} } : { spec: specOf[kind] }) };
}

export function admissionReview(kind: keyof typeof KINDS, object: unknown, options: ReviewOptions = {}): Record<string, unknown> {
  const info = KINDS[kind];
  const meta = (object as { metadata?: { name?: string } } | null)?.metadata;
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: options.uid ?? 'b4f0c0de-1111-4e2d-9c1a-000000000001',
      kind: { group: info.group, version: info.version, kind: info.kind },
      resource: { group: info.group, version: info.version, resource: info.resource },
      ...(options.subResource ? { subResource: options.subResource } : {}),
      requestKind: { group: info.group, version: info.version, kind: info.kind },
      requestResource: { group: info.group, version: info.version, resource: info.resource },
      name: meta?.name ?? '',
      namespace: options.namespace ?? 'default',
      operation: options.operation ?? 'CREATE',
      userInfo: { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] },
      object,
      oldObject: options.oldObject ?? null,
      dryRun: options.dryRun ?? false,
      options: { apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions' },
    },
  };
}

/** A Pod review in one call. */
export function podReview(spec: PodSpecInput, options: ReviewOptions = {}): Record<string, unknown> {
  return admissionReview('Pod', objectOf('Pod', 'web', spec), options);
}

/** The patch of an AdmissionReview response, decoded. */
export function decodePatch(response: { patch?: string }): unknown[] {
  return response.patch ? (JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8')) as unknown[]) : [];
}

/**
 * In-memory facts for rule and mutation tables: a distroless image running as nonroot (65532) with /tmp, digest
 * `sha256:<digestChar × 64>`, overridden by `partial`.
 */
export function imageFacts(image: string, digestChar: string, partial: Partial<ImageFacts> = {}): ImageFacts {
  return {
    image,
    digest: `sha256:${digestChar.repeat(64)}`,
    shells: [],
    packageManagers: [],
    user: { configured: '65532', uid: 65532, gid: 65532, name: 'nonroot' },
    nonRoot: true,
    hasTmpDir: true,
    debugVariant: false,
    distroless: true,
    base: 'Distroless',
    distribution: { id: 'debian', versionId: '12' },
    runtimes: [],
    platforms: [],
    ...partial,
  };
}
