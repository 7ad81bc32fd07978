/**
 * The AdmissionReviews the admission benchmark sends: a realistic Pod of a Deployment as kube-apiserver forwards it
 * (3 containers with env, probes, resources and mounts; ownerReferences, the service-account token volume and the
 * default tolerations the API server adds), about 8 KiB of JSON.
 */
import { randomUUID } from 'node:crypto';
import { DEFAULT_POLICY_YAML } from '../src/policy/default-policy.js';

export interface PodImages {
  readonly app: string;
  readonly sidecar: string;
  readonly agent: string;
}

const HARDENED = {
  runAsNonRoot: true,
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};

function env(prefix: string, n: number): object[] {
  const out: object[] = [];
  for (let i = 0; i < n; i++) out.push({ name: `${prefix}_SETTING_${i}`, value: `value-${i}-${prefix.toLowerCase()}` });
  out.push({ name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } });
  out.push({ name: 'POD_NAMESPACE', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } } });
  out.push({ name: `${prefix}_PASSWORD`, valueFrom: { secretKeyRef: { name: 'shop-secrets', key: 'password' } } });
  return out;
}

function container(name: string, image: string, port: number, envCount: number): object {
  return {
    name,
    image,
    imagePullPolicy: 'IfNotPresent',
    ports: [{ name: 'http', containerPort: port, protocol: 'TCP' }],
    env: env(name.toUpperCase(), envCount),
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '256Mi' } },
    livenessProbe: { httpGet: { path: '/healthz', port, scheme: 'HTTP' }, initialDelaySeconds: 5, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 },
    readinessProbe: { httpGet: { path: '/ready', port, scheme: 'HTTP' }, periodSeconds: 5, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 },
    volumeMounts: [
      { name: 'config', mountPath: '/etc/shop', readOnly: true },
      { name: 'kube-api-access-x7k2p', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true },
    ],
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
    securityContext: HARDENED,
  };
}

export function podObject(images: PodImages, name = 'shop-api-7d9c6b5f4-x2k9q'): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      generateName: 'shop-api-7d9c6b5f4-',
      namespace: 'shop',
      labels: { app: 'shop-api', 'app.kubernetes.io/name': 'shop-api', 'app.kubernetes.io/part-of': 'shop', 'pod-template-hash': '7d9c6b5f4', team: 'checkout', version: '2.14.1' },
      annotations: {
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': '9090',
        'kubectl.kubernetes.io/restartedAt': '2026-01-12T09:14:02Z',
        'checksum/config': 'a3f1c9e0b47d2e8f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f',
      },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'shop-api-7d9c6b5f4', uid: '2c9e0c3b-6c1f-4e7e-9d2a-5b8f1e3a7c4d', controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      containers: [container('api', images.app, 8080, 16), container('sidecar', images.sidecar, 9090, 8), container('agent', images.agent, 9100, 6)],
      volumes: [
        { name: 'config', configMap: { name: 'shop-api-config', defaultMode: 420 } },
        {
          name: 'kube-api-access-x7k2p',
          projected: {
            defaultMode: 420,
            sources: [
              { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
              { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
              { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
            ],
          },
        },
      ],
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      serviceAccountName: 'shop-api',
      serviceAccount: 'shop-api',
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      affinity: {
        podAntiAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { labelSelector: { matchLabels: { app: 'shop-api' } }, topologyKey: 'kubernetes.io/hostname' } }],
        },
      },
      schedulerName: 'default-scheduler',
      tolerations: [
        { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
        { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      ],
      priority: 0,
      enableServiceLinks: true,
      preemptionPolicy: 'PreemptLowerPriority',
    },
  };
}

/** The AdmissionReview of a Pod CREATE, as kube-apiserver sends it. */
export function podReview(images: PodImages, options: { uid?: string; namespace?: string; name?: string; dryRun?: boolean } = {}): string {
  const object = podObject(images, options.name);
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: options.uid ?? randomUUID(),
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      requestKind: { group: '', version: 'v1', kind: 'Pod' },
      requestResource: { group: '', version: 'v1', resource: 'pods' },
      name: '',
      namespace: options.namespace ?? 'shop',
      operation: 'CREATE',
      userInfo: { username: 'system:serviceaccount:kube-system:replicaset-controller', uid: '4f1e7c2a-9b3d-4e5f-8a6b-7c8d9e0f1a2b', groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'] },
      object,
      oldObject: null,
      dryRun: options.dryRun ?? false,
      options: { apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions' },
    },
  });
}

/**
 * The guard's policies in the benchmarks: a realistic enforcing policy for the Pod's namespace (rules, and mutation:
 * hardening, a read-only root with an emptyDir for /tmp, digest pinning in production) beside the embedded default
 * policy (DryRun).
 */
export const BENCH_POLICY_YAML = `apiVersion: distroless-guard.io/v1alpha1
kind: DistrolessPolicy
metadata: {name: shop}
spec:
  mode: Enforce
  failurePolicy: Fail
  match: {namespaces: ["shop", "shop-*"]}
  production: {namespaces: ["shop"]}
  mutate:
    action: Enforce
    securityContext: true
    readOnlyRootFilesystem: true
    writableDirs: ["/tmp"]
    pinDigest: Production
---
${DEFAULT_POLICY_YAML}`;
