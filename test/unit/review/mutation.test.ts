/**
 * /mutate as a table: pods × image facts × policies. Each case asserts the exact patch and warnings; that the patch
 * applies (jsonpatch) to a pod the API server accepts; that the patched pod passes the real validate() with the same
 * policies and facts; and that mutating the patched pod again returns an empty patch.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1PodSpec } from '@kubernetes/client-node';
import { apply_patch } from 'jsonpatch';
import { decodeAdmissionReview } from '../../../src/admission/decode.js';
import { warning } from '../../../src/decision/combine-findings.js';
import type { ContainerIdentity } from '../../../src/decision/finding.js';
import type { ImageFacts, ImageUser } from '../../../src/image/facts/types.js';
import { compilePolicies } from '../../../src/policy/compile.js';
import { parsePolicies } from '../../../src/policy/load.js';
import type { FactsSource } from '../../../src/review/facts-source.js';
import { staticNamespaces } from '../../../src/review/namespace-directory.js';
import { mutate, validate, type ReviewDependencies } from '../../../src/review/review.js';
import { kubernetesErrors } from '../../support/kube-validation.js';
import { admissionReview, imageFacts, objectOf, type PodSpecInput, type ReviewOptions } from '../../support/reviews.js';

const digest = (c: string) => `sha256:${c.repeat(64)}`;
const ROOT: ImageUser = { configured: '0', uid: 0, gid: 0, name: 'root' };

/** Images as the inspector would describe them (only what mutation and the rules read differs between them). */
const IMAGES = {
  named: 'registry.example/shop/api:1.4',
  numeric: 'registry.example/shop/worker:2.0',
  root: 'registry.example/shop/legacy:3',
  scratch: 'registry.example/shop/static:1',
  unresolvable: 'registry.example/shop/dotnet:8',
  tools: 'registry.example/tools/render:1.2',
  rootTools: 'registry.example/tools/root-shell:1',
  down: 'registry.example/shop/down:1',
} as const;

const FACTS: ReadonlyMap<string, ImageFacts> = new Map([
  [IMAGES.named, imageFacts(IMAGES.named, 'a', { user: { configured: 'nonroot', uid: 65532, gid: 65532, name: 'nonroot' } })],
  [IMAGES.numeric, imageFacts(IMAGES.numeric, 'b', {})],
  [IMAGES.root, imageFacts(IMAGES.root, 'c', { user: ROOT, nonRoot: false })],
  [IMAGES.scratch, imageFacts(IMAGES.scratch, 'd', { user: { configured: '10001:10001', uid: 10001, gid: 10001, name: null }, hasTmpDir: false, base: null })],
  [IMAGES.unresolvable, imageFacts(IMAGES.unresolvable, 'e', { user: { configured: 'app', uid: null, gid: null, name: 'app' }, nonRoot: null })],
  [IMAGES.tools, imageFacts(IMAGES.tools, 'f', { shells: ['/usr/bin/dash', '/usr/bin/sh'], distroless: false })],
  [IMAGES.rootTools, imageFacts(IMAGES.rootTools, '1', { shells: ['/usr/bin/dash', '/usr/bin/sh'], distroless: false, user: ROOT, nonRoot: false })],
]);
const pinned = (image: keyof typeof IMAGES): string => `${IMAGES[image]}@${FACTS.get(IMAGES[image])?.digest}`;

/** Facts by reference; a pinned reference has the facts of its tag (the same content). */
const factsSource: FactsSource = async ({ image }) => {
  const known = FACTS.get(image.replace(/@.*$/, ''));
  if (known) return { kind: 'known', facts: known };
  if (image === IMAGES.down) return { kind: 'unavailable', reason: 'registry.example is unreachable' };
  return { kind: 'not-inspected' };
};

const HARDENED = { runAsNonRoot: true, allowPrivilegeEscalation: false, seccompProfile: { type: 'RuntimeDefault' }, capabilities: { drop: ['ALL'] } };
const UID_65532 = { runAsUser: 65532, runAsGroup: 65532 };

/** One DistrolessPolicy named `name`: Enforce, production = label environment=production. */
const policy = (body: string, name = 'guard') =>
  `apiVersion: distroless-guard.io/v1alpha1
kind: DistrolessPolicy
metadata: {name: ${name}}
spec:
  mode: Enforce
  production: {namespaceSelector: {matchLabels: {environment: production}}}
${body}`;

const INIT_TOOLS = `    initContainers:
      - name: render-config
        image: ${IMAGES.tools}
        command: [sh, -c]
        args: ["envsubst < /templates/app.conf > /config/app.conf"]
        env: [{name: MODE, value: production}]
        resources: {limits: {cpu: 100m, memory: 32Mi}}
        podSelector: {matchLabels: {app: web}}
        volume: {name: rendered-config, mountPath: /config}
`;

interface Case {
  readonly name: string;
  readonly policies: string;
  readonly kind?: 'Pod' | 'Deployment';
  /** Default "dev" (not production); "shop" is production. */
  readonly namespace?: 'dev' | 'shop';
  readonly spec: PodSpecInput;
  readonly labels?: Record<string, string>;
  readonly review?: (object: Record<string, unknown>) => ReviewOptions;
  readonly ops: unknown[];
  readonly warnings?: string[];
}

const c = (kind: ContainerIdentity['kind'], name: string, image: string): ContainerIdentity => ({ kind, name, image });

const CASES: Case[] = [
  {
    name: 'a named-user image gets the uid and gid its /etc/passwd gives, so kubelet can verify runAsNonRoot',
    policies: policy(''),
    spec: { containers: [{ name: 'api', image: IMAGES.named }] },
    ops: [{ op: 'add', path: '/spec/containers/0/securityContext', value: { ...HARDENED, ...UID_65532 } }],
  },
  {
    name: 'in production the image is pinned to the digest that was inspected',
    policies: policy(''),
    namespace: 'shop',
    spec: { containers: [{ name: 'api', image: IMAGES.named }] },
    ops: [
      { op: 'replace', path: '/spec/containers/0/image', value: pinned('named') },
      { op: 'add', path: '/spec/containers/0/securityContext', value: { ...HARDENED, ...UID_65532 } },
    ],
  },
  {
    name: 'an image already carrying a digest is left alone',
    policies: policy(''),
    namespace: 'shop',
    spec: { containers: [{ name: 'api', image: `${IMAGES.named}@${digest('9')}` }] },
    ops: [{ op: 'add', path: '/spec/containers/0/securityContext', value: { ...HARDENED, ...UID_65532 } }],
  },
  {
    name: 'pinDigest: Never leaves production images as tagged; Always pins outside production',
    policies: policy('  mutate: {pinDigest: Never}\n') + '---\n' + policy('  mutate: {pinDigest: Always}\n  match: {images: ["*/worker:*"]}\n', 'pin-workers'),
    namespace: 'shop',
    spec: { containers: [{ name: 'api', image: IMAGES.named }, { name: 'worker', image: IMAGES.numeric }] },
    ops: [
      { op: 'add', path: '/spec/containers/0/securityContext', value: { ...HARDENED, ...UID_65532 } },
      { op: 'replace', path: '/spec/containers/1/image', value: pinned('numeric') },
      { op: 'add', path: '/spec/containers/1/securityContext', value: { ...HARDENED, ...UID_65532 } },
    ],
  },
  {
    name: "a pod-level runAsUser is the user's choice: no uid from the image, no runAsGroup",
    policies: policy(''),
    spec: { securityContext: { runAsUser: 1000 }, containers: [{ name: 'api', image: IMAGES.named }] },
    ops: [{ op: 'add', path: '/spec/containers/0/securityContext', value: HARDENED }],
  },
  {
    name: 'a runAsGroup the pod sets is kept; runAsUser still comes from the image',
    policies: policy(''),
    spec: { securityContext: { runAsGroup: 3000 }, containers: [{ name: 'api', image: IMAGES.named }] },
    ops: [{ op: 'add', path: '/spec/containers/0/securityContext', value: { ...HARDENED, runAsUser: 65532 } }],
  },
  {
    name: 'runAsUserFromImage: false sets no uid',
    policies: policy('  mutate: {runAsUserFromImage: false}\n  rules: {nonRoot: {action: Disabled}}\n'),
    spec: { containers: [{ name: 'api', image: IMAGES.named }] },
    ops: [{ op: 'add', path: '/spec/containers/0/securityContext', value: HARDENED }],
  },
  {
    name: 'a root image with rootFallbackUid gets that uid, and a warning',
    policies: policy('  mutate: {rootFallbackUid: 65532}\n'),
    spec: { containers: [{ name: 'legacy', image: IMAGES.root }] },
    ops: [{ op: 'add', path: '/spec/containers/0/securityContext', value: { ...HARDENED, runAsUser: 65532 } }],
    warnings: [warning('root image in', c('container', 'legacy', IMAGES.root), 'User 0: runAsUser 65532 from rootFallbackUid')],
  },
  {
    name: 'a root image without rootFallbackUid keeps no uid and is reported (here nonRoot is DryRun, so it also warns)',
    policies: policy('  rules: {nonRoot: {action: DryRun}}\n'),
    spec: { containers: [{ name: 'legacy', image: IMAGES.root }] },
    ops: [{ op: 'add', path: '/spec/containers/0/securityContext', value: HARDENED }],
    warnings: [
      warning('root image in', c('container', 'legacy', IMAGES.root), 'User 0, no rootFallbackUid: runAsUser left unset'),
    ],
  },
  {
    name: 'the same note about several containers is one warning naming them all',
    policies: policy('  rules: {nonRoot: {action: DryRun}}\n'),
    spec: { containers: [{ name: 'legacy', image: IMAGES.root }, { name: 'cron', image: IMAGES.root }] },
    ops: [
      { op: 'add', path: '/spec/containers/0/securityContext', value: HARDENED },
      { op: 'add', path: '/spec/containers/1/securityContext', value: HARDENED },
    ],
    warnings: ['[distroless-guard] root image in containers legacy, cron: User 0, no rootFallbackUid: runAsUser left unset'],
  },
  {
    name: 'runAsNonRoot: false set explicitly lets a root image run as root: no fallback uid, both choices reported',
    policies: policy('  mutate: {rootFallbackUid: 65532}\n  rules: {nonRoot: {action: Disabled}}\n'),
    spec: { containers: [{ name: 'legacy', image: IMAGES.root, securityContext: { runAsNonRoot: false } }] },
    ops: [
      { op: 'add', path: '/spec/containers/0/securityContext/allowPrivilegeEscalation', value: false },
      { op: 'add', path: '/spec/containers/0/securityContext/seccompProfile', value: { type: 'RuntimeDefault' } },
      { op: 'add', path: '/spec/containers/0/securityContext/capabilities', value: { drop: ['ALL'] } },
    ],
    warnings: [
      warning('kept', c('container', 'legacy', IMAGES.root), 'runAsNonRoot: false is set explicitly; left as is'),
      warning('kept', c('container', 'legacy', IMAGES.root), 'root image (User 0) and runAsNonRoot: false set explicitly: no fallback uid'),
    ],
  },
  {
    name: 'an image user with no uid in its /etc/passwd cannot be pinned to a uid: reported',
    policies: policy(''),
    spec: { containers: [{ name: 'dotnet', image: IMAGES.unresolvable }] },
    ops: [{ op: 'add', path: '/spec/containers/0/securityContext', value: HARDENED }],
    warnings: [
      warning('unresolvable user in', c('container', 'dotnet', IMAGES.unresolvable), 'image user app has no uid in its /etc/passwd; runAsUser left unset'),
    ],
  },
  {
    name: 'readOnlyRootFilesystem with an emptyDir at /tmp: the volumes and volumeMounts lists are created whole',
    policies: policy('  mutate: {readOnlyRootFilesystem: true}\n'),
    spec: { containers: [{ name: 'worker', image: IMAGES.numeric }] },
    ops: [
      { op: 'add', path: '/spec/containers/0/securityContext', value: { ...HARDENED, ...UID_65532, readOnlyRootFilesystem: true } },
      { op: 'add', path: '/spec/containers/0/volumeMounts', value: [{ name: 'dg-worker-tmp', mountPath: '/tmp' }] },
      { op: 'add', path: '/spec/volumes', value: [{ name: 'dg-worker-tmp', emptyDir: {} }] },
    ],
  },
  {
    name: 'a scratch image without /tmp gets an emptyDir there, even with a writable root filesystem',
    policies: policy(''),
    spec: { containers: [{ name: 'static', image: IMAGES.scratch }] },
    ops: [
      { op: 'add', path: '/spec/containers/0/securityContext', value: { ...HARDENED, runAsUser: 10001, runAsGroup: 10001 } },
      { op: 'add', path: '/spec/containers/0/volumeMounts', value: [{ name: 'dg-static-tmp', mountPath: '/tmp' }] },
      { op: 'add', path: '/spec/volumes', value: [{ name: 'dg-static-tmp', emptyDir: {} }] },
    ],
  },
  {
    name: 'writable dirs are appended to existing lists; a directory the pod mounts itself is left alone; each container has its own',
    policies: policy('  mutate:\n    readOnlyRootFilesystem: true\n    writableDirs: [/tmp, /var/cache/nginx, /run]\n'),
    spec: {
      containers: [
        { name: 'worker', image: IMAGES.numeric, volumeMounts: [{ name: 'config', mountPath: '/etc/app' }, { name: 'run', mountPath: '/run' }] },
        { name: 'api', image: IMAGES.named, securityContext: { ...HARDENED, ...UID_65532, readOnlyRootFilesystem: true } },
      ],
      volumes: [{ name: 'config', configMap: { name: 'app' } }, { name: 'run', emptyDir: { medium: 'Memory' } }],
    },
    ops: [
      { op: 'add', path: '/spec/containers/0/securityContext', value: { ...HARDENED, ...UID_65532, readOnlyRootFilesystem: true } },
      { op: 'add', path: '/spec/containers/0/volumeMounts/-', value: { name: 'dg-worker-tmp', mountPath: '/tmp' } },
      { op: 'add', path: '/spec/containers/0/volumeMounts/-', value: { name: 'dg-worker-var-cache-nginx', mountPath: '/var/cache/nginx' } },
      {
        op: 'add',
        path: '/spec/containers/1/volumeMounts',
        value: [
          { name: 'dg-api-tmp', mountPath: '/tmp' },
          { name: 'dg-api-var-cache-nginx', mountPath: '/var/cache/nginx' },
          { name: 'dg-api-run', mountPath: '/run' },
        ],
      },
      { op: 'add', path: '/spec/volumes/-', value: { name: 'dg-worker-tmp', emptyDir: {} } },
      { op: 'add', path: '/spec/volumes/-', value: { name: 'dg-worker-var-cache-nginx', emptyDir: {} } },
      { op: 'add', path: '/spec/volumes/-', value: { name: 'dg-api-tmp', emptyDir: {} } },
      { op: 'add', path: '/spec/volumes/-', value: { name: 'dg-api-var-cache-nginx', emptyDir: {} } },
      { op: 'add', path: '/spec/volumes/-', value: { name: 'dg-api-run', emptyDir: {} } },
    ],
  },
  {
    name: 'readOnlyRootFilesystem: false set explicitly is kept and reported; an image with /tmp needs no volume then',
    policies: policy('  mutate: {readOnlyRootFilesystem: true}\n'),
    spec: { containers: [{ name: 'worker', image: IMAGES.numeric, securityContext: { readOnlyRootFilesystem: false } }] },
    ops: [
      { op: 'add', path: '/spec/containers/0/securityContext/runAsNonRoot', value: true },
      { op: 'add', path: '/spec/containers/0/securityContext/allowPrivilegeEscalation', value: false },
      { op: 'add', path: '/spec/containers/0/securityContext/seccompProfile', value: { type: 'RuntimeDefault' } },
      { op: 'add', path: '/spec/containers/0/securityContext/capabilities', value: { drop: ['ALL'] } },
      { op: 'add', path: '/spec/containers/0/securityContext/runAsUser', value: 65532 },
      { op: 'add', path: '/spec/containers/0/securityContext/runAsGroup', value: 65532 },
    ],
    warnings: [warning('kept', c('container', 'worker', IMAGES.numeric), 'readOnlyRootFilesystem: false is set explicitly; left as is')],
  },
  {
    name: 'a Deployment is patched at its pod template',
    policies: policy(''),
    kind: 'Deployment',
    namespace: 'shop',
    spec: { containers: [{ name: 'api', image: IMAGES.named }] },
    ops: [
      { op: 'replace', path: '/spec/template/spec/containers/0/image', value: pinned('named') },
      { op: 'add', path: '/spec/template/spec/containers/0/securityContext', value: { ...HARDENED, ...UID_65532 } },
    ],
  },
  {
    name: 'an init container is injected where its podSelector matches: hardened, its own uid, pinned, its emptyDir mounted by every app container',
    policies: policy(`  mutate:\n${INIT_TOOLS}`),
    kind: 'Deployment',
    namespace: 'shop',
    spec: { containers: [{ name: 'api', image: IMAGES.named }, { name: 'worker', image: IMAGES.numeric }] },
    ops: [
      { op: 'replace', path: '/spec/template/spec/containers/0/image', value: pinned('named') },
      { op: 'add', path: '/spec/template/spec/containers/0/securityContext', value: { ...HARDENED, ...UID_65532 } },
      { op: 'add', path: '/spec/template/spec/containers/0/volumeMounts', value: [{ name: 'rendered-config', mountPath: '/config' }] },
      { op: 'replace', path: '/spec/template/spec/containers/1/image', value: pinned('numeric') },
      { op: 'add', path: '/spec/template/spec/containers/1/securityContext', value: { ...HARDENED, ...UID_65532 } },
      { op: 'add', path: '/spec/template/spec/containers/1/volumeMounts', value: [{ name: 'rendered-config', mountPath: '/config' }] },
      { op: 'add', path: '/spec/template/spec/volumes', value: [{ name: 'rendered-config', emptyDir: {} }] },
      {
        op: 'add',
        path: '/spec/template/spec/initContainers',
        value: [
          {
            name: 'render-config',
            image: pinned('tools'),
            command: ['sh', '-c'],
            args: ['envsubst < /templates/app.conf > /config/app.conf'],
            env: [{ name: 'MODE', value: 'production' }],
            resources: { limits: { cpu: '100m', memory: '32Mi' } },
            volumeMounts: [{ name: 'rendered-config', mountPath: '/config' }],
            securityContext: { ...HARDENED, ...UID_65532 },
          },
        ],
      },
    ],
  },
  {
    name: 'a pod the podSelector does not select gets no init container',
    policies: policy(`  mutate:\n${INIT_TOOLS}`),
    labels: { app: 'batch' },
    spec: { containers: [{ name: 'api', image: IMAGES.named }] },
    ops: [{ op: 'add', path: '/spec/containers/0/securityContext', value: { ...HARDENED, ...UID_65532 } }],
  },
  {
    name: "allowRoot: a root init image runs without runAsNonRoot and validate lets it; it follows the pod's own init containers",
    policies: policy(
      `  mutate:\n    initContainers:\n      - {name: fix-perms, image: ${IMAGES.rootTools}, ` +
        `command: [chown, -R, "65532", /data], volume: {name: data, mountPath: /data}, allowRoot: true}\n`,
    ),
    labels: { app: 'web' },
    spec: {
      initContainers: [{ name: 'migrate', image: IMAGES.numeric, securityContext: { ...HARDENED, ...UID_65532 } }],
      containers: [{ name: 'api', image: IMAGES.named, securityContext: { ...HARDENED, ...UID_65532 }, volumeMounts: [] }],
    },
    ops: [
      { op: 'add', path: '/spec/containers/0/volumeMounts/-', value: { name: 'data', mountPath: '/data' } },
      { op: 'add', path: '/spec/volumes', value: [{ name: 'data', emptyDir: {} }] },
      {
        op: 'add',
        path: '/spec/initContainers/-',
        value: {
          name: 'fix-perms',
          image: IMAGES.rootTools,
          command: ['chown', '-R', '65532', '/data'],
          volumeMounts: [{ name: 'data', mountPath: '/data' }],
          securityContext: { allowPrivilegeEscalation: false, seccompProfile: { type: 'RuntimeDefault' }, capabilities: { drop: ['ALL'] } },
        },
      },
    ],
  },
  {
    name: "a container already named like the declared init container is the user's: nothing injected, reported",
    policies: policy(`  mutate:\n${INIT_TOOLS}`),
    labels: { app: 'web' },
    spec: {
      initContainers: [{ name: 'render-config', image: IMAGES.numeric, securityContext: { ...HARDENED, ...UID_65532 } }],
      containers: [{ name: 'api', image: IMAGES.named }],
    },
    ops: [{ op: 'add', path: '/spec/containers/0/securityContext', value: { ...HARDENED, ...UID_65532 } }],
    warnings: [
      warning(
        'kept',
        c('initContainer', 'render-config', IMAGES.tools),
        'another container is named render-config; the init container of policy guard is not injected',
      ),
    ],
  },
  {
    name: 'a mount path an app container already uses for another volume is kept; the others still mount the shared volume',
    policies: policy(`  mutate:\n${INIT_TOOLS}`),
    labels: { app: 'web' },
    spec: {
      containers: [
        { name: 'api', image: IMAGES.named, securityContext: { ...HARDENED, ...UID_65532 }, volumeMounts: [{ name: 'own-config', mountPath: '/config' }] },
        { name: 'worker', image: IMAGES.numeric, securityContext: { ...HARDENED, ...UID_65532 } },
      ],
      volumes: [{ name: 'own-config', configMap: { name: 'api' } }],
    },
    ops: [
      { op: 'add', path: '/spec/containers/1/volumeMounts', value: [{ name: 'rendered-config', mountPath: '/config' }] },
      { op: 'add', path: '/spec/volumes/-', value: { name: 'rendered-config', emptyDir: {} } },
      {
        op: 'add',
        path: '/spec/initContainers',
        value: [
          {
            name: 'render-config',
            image: IMAGES.tools,
            command: ['sh', '-c'],
            args: ['envsubst < /templates/app.conf > /config/app.conf'],
            env: [{ name: 'MODE', value: 'production' }],
            resources: { limits: { cpu: '100m', memory: '32Mi' } },
            volumeMounts: [{ name: 'rendered-config', mountPath: '/config' }],
            securityContext: { ...HARDENED, ...UID_65532 },
          },
        ],
      },
    ],
    warnings: [warning('kept', c('container', 'api', IMAGES.named), 'volumeMount own-config at /config is set; volume rendered-config not mounted there')],
  },
  {
    name: 'image facts unavailable: hardening still applies; the uid, /tmp and the pin are skipped, saying why',
    policies: policy('  failurePolicy: Ignore\n'),
    namespace: 'shop',
    spec: { containers: [{ name: 'app', image: IMAGES.down }] },
    ops: [{ op: 'add', path: '/spec/containers/0/securityContext', value: HARDENED }],
    warnings: [
      warning('no image facts for', c('container', 'app', IMAGES.down), 'registry.example is unreachable; skipped: runAsUser, writable dirs, digest pinning'),
    ],
  },
  {
    name: 'DryRun patches nothing and says exactly what it would patch, one warning per kind of change',
    policies: policy('  mode: DryRun\n  mutate: {readOnlyRootFilesystem: true}\n').replace('  mode: Enforce\n', ''),
    namespace: 'shop',
    spec: { containers: [{ name: 'api', image: IMAGES.named }] },
    ops: [],
    // Within 120 characters: the fields alone when their values do not fit, a digest shortened.
    warnings: [
      '[distroless-guard] DryRun: mutate would harden container api: runAsNonRoot, allowPrivilegeEscalation and 5 more',
      '[distroless-guard] DryRun: mutate would mount in container api: emptyDir at /tmp (read-only root filesystem)',
      '[distroless-guard] DryRun: mutate would pin container api: image registry.example/shop/api:1.4@sha256:aaaaaaaaaaaa…',
    ],
  },
  {
    name: 'DryRun: containers that would get the same changes share one warning per kind of change, naming them all',
    policies: policy('  mode: DryRun\n').replace('  mode: Enforce\n', ''),
    spec: { containers: ['app', 'sidecar', 'metrics-exporter'].map((name) => ({ name, image: IMAGES.numeric })) },
    ops: [],
    warnings: ['[distroless-guard] DryRun: mutate would harden containers app, sidecar, metrics-exporter: runAsNonRoot and 5 more'],
  },
  {
    name: 'a DryRun injection says which init container it would add, with what, and where the app containers would mount it',
    policies: policy(`  mutate:\n    action: DryRun\n${INIT_TOOLS}`),
    labels: { app: 'web' },
    spec: { containers: [{ name: 'api', image: IMAGES.named, securityContext: { ...HARDENED, ...UID_65532 } }] },
    ops: [],
    warnings: [
      '[distroless-guard] DryRun: mutate would inject init container render-config: volume rendered-config at /config, shared …',
      '[distroless-guard] DryRun: mutate would harden init container render-config: runAsNonRoot and 5 more',
      '[distroless-guard] DryRun: mutate would mount in container api: volume rendered-config at /config',
    ],
  },
  {
    name: 'DryRun warnings stay within 120 characters however long the container name: a count, else a cut',
    policies: policy('  mode: DryRun\n  mutate: {readOnlyRootFilesystem: true}\n').replace('  mode: Enforce\n', ''),
    spec: { containers: [{ name: 'payments-reconciliation-worker-for-the-ledger', image: IMAGES.named }] },
    ops: [],
    warnings: [
      '[distroless-guard] DryRun: mutate would harden container payments-reconciliation-worker-for-the-ledger: 7 changes',
      '[distroless-guard] DryRun: mutate would mount in container payments-reconciliation-worker-for-the-ledger: emptyDir at /…',
    ],
  },
  {
    name: 'an Enforce policy patches while a DryRun one reports only what it would add',
    policies: policy('') + '---\n' + policy('  mutate: {action: DryRun, readOnlyRootFilesystem: true}\n', 'read-only'),
    spec: { containers: [{ name: 'worker', image: IMAGES.numeric }] },
    ops: [{ op: 'add', path: '/spec/containers/0/securityContext', value: { ...HARDENED, ...UID_65532 } }],
    warnings: [
      '[distroless-guard] DryRun: mutate would harden container worker: readOnlyRootFilesystem: true',
      '[distroless-guard] DryRun: mutate would mount in container worker: emptyDir at /tmp (read-only root filesystem)',
    ],
  },
  {
    name: 'securityContext: false still sets the uid from the image and pins it',
    policies: policy('  mutate: {securityContext: false}\n  rules: {noPrivilegeEscalation: {action: Disabled}}\n'),
    namespace: 'shop',
    spec: { containers: [{ name: 'api', image: IMAGES.named }] },
    ops: [
      { op: 'replace', path: '/spec/containers/0/image', value: pinned('named') },
      { op: 'add', path: '/spec/containers/0/securityContext', value: UID_65532 },
    ],
  },
  {
    name: 'a Windows pod gets runAsNonRoot only: no uid, no read-only root, no volume (Linux-only fields are refused there)',
    policies: policy('  mutate: {readOnlyRootFilesystem: true}\n'),
    spec: { os: { name: 'windows' }, containers: [{ name: 'api', image: IMAGES.scratch }] },
    ops: [{ op: 'add', path: '/spec/containers/0/securityContext', value: { runAsNonRoot: true } }],
  },
  {
    name: 'kubectl debug: the ephemeral container is hardened, given its uid and pinned, but no volume (the subresource cannot add one)',
    policies: policy('  mutate: {pinDigest: Always, readOnlyRootFilesystem: true}\n'),
    spec: {
      containers: [{ name: 'api', image: IMAGES.named, securityContext: { ...HARDENED, ...UID_65532 } }],
      ephemeralContainers: [{ name: 'debugger', image: IMAGES.scratch }],
    },
    review: (object) => {
      const old = structuredClone(object) as { spec: { ephemeralContainers?: unknown } };
      delete old.spec.ephemeralContainers;
      return { operation: 'UPDATE', subResource: 'ephemeralcontainers', oldObject: old };
    },
    ops: [
      { op: 'replace', path: '/spec/ephemeralContainers/0/image', value: pinned('scratch') },
      { op: 'add', path: '/spec/ephemeralContainers/0/securityContext', value: { ...HARDENED, runAsUser: 10001, runAsGroup: 10001 } },
    ],
  },
];

const deps = (policies: string): ReviewDependencies => {
  const compiled = compilePolicies(parsePolicies(policies, 'policy.yaml'), { guardNamespace: 'distroless-guard' });
  return { policies: () => compiled, namespaces: staticNamespaces({ shop: { environment: 'production' } }), facts: factsSource };
};

function specOf(object: Record<string, unknown>, kind: 'Pod' | 'Deployment'): V1PodSpec {
  const o = object as { spec: V1PodSpec & { template?: { spec: V1PodSpec } } };
  return kind === 'Deployment' ? (o.spec.template?.spec as V1PodSpec) : o.spec;
}

describe('mutation: pods × image facts × policies', () => {
  for (const t of CASES) {
    it(t.name, async () => {
      const kind = t.kind ?? 'Pod';
      const dependencies = deps(t.policies);
      const object = objectOf(kind, 'web', t.spec, t.labels);
      const options = (o: Record<string, unknown>): ReviewOptions => ({ namespace: t.namespace ?? 'dev', ...t.review?.(o) });
      const request = (o: Record<string, unknown>) => decodeAdmissionReview(JSON.stringify(admissionReview(kind, o, options(o))));
      const signal = AbortSignal.timeout(10_000);

      const first = await mutate(request(object), dependencies, signal);
      assert.equal(first.verdict.allowed, true);
      assert.deepEqual(first.verdict.patch, t.ops);
      assert.deepEqual(first.verdict.warnings, t.warnings ?? []);
      for (const w of first.verdict.warnings) assert.ok(w.length <= 120, `over the 120 characters Kubernetes asks for: ${w}`);

      const patched = apply_patch(structuredClone(object), first.verdict.patch) as Record<string, unknown>;
      assert.deepEqual(kubernetesErrors(specOf(patched, kind)), [], 'the patched pod is one the API server accepts');

      const validated = await validate(request(patched), dependencies, signal);
      assert.equal(validated.verdict.allowed, true, validated.verdict.denial?.message);

      const second = await mutate(request(patched), dependencies, signal);
      assert.deepEqual(second.verdict.patch, [], 're-applying is a no-op');
    });
  }

  it('validate exempts the injected init container from noShell, naming the policy, and judges it by every other rule', async () => {
    const dependencies = deps(policy(`  mutate:\n${INIT_TOOLS}`));
    const object = objectOf('Pod', 'web', { containers: [{ name: 'api', image: IMAGES.named }] }, { app: 'web' });
    const request = (o: unknown) => decodeAdmissionReview(JSON.stringify(admissionReview('Pod', o, { namespace: 'shop' })));
    const signal = AbortSignal.timeout(10_000);
    const patched = apply_patch(structuredClone(object), (await mutate(request(object), dependencies, signal)).verdict.patch);
    const { findings } = await validate(request(patched), dependencies, signal);
    assert.deepEqual(
      findings.map((f) => [f.rule, f.container.name, f.outcome.kind]),
      [['noShell', 'render-config', 'exempt']],
    );
    const exempt = findings[0]?.outcome;
    assert.equal(exempt?.kind === 'exempt' && exempt.reason, 'init container injected by policy guard for set-up that needs a shell');

    // The same container under another name, or another image, is an ordinary init container: its shell is denied.
    const renamed = structuredClone(patched) as { spec: { initContainers: Array<{ name: string; image: string }> } };
    const [init] = renamed.spec.initContainers;
    assert.ok(init !== undefined);
    init.name = 'setup';
    const denied = await validate(request(renamed), dependencies, signal);
    assert.equal(denied.verdict.allowed, false);
    assert.match(denied.verdict.denial?.message ?? '', /\[guard\/noShell\] init container "setup" .*image has a shell: \/usr\/bin\/dash, \/usr\/bin\/sh/);
    init.name = 'render-config';
    init.image = IMAGES.rootTools;
    const rootImage = await validate(request(renamed), dependencies, signal);
    assert.match(rootImage.verdict.denial?.message ?? '', /\[guard\/noShell\] init container "render-config"/);
  });

  it('without allowRoot, a root init image is not exempt from nonRoot: mutation warns and validate denies', async () => {
    const dependencies = deps(
      policy(`  mutate:\n    initContainers:\n      - {name: fix-perms, image: ${IMAGES.rootTools}, volume: {name: data, mountPath: /data}}\n`),
    );
    const object = objectOf('Pod', 'web', { containers: [{ name: 'api', image: IMAGES.named }] });
    const request = (o: unknown) => decodeAdmissionReview(JSON.stringify(admissionReview('Pod', o, { namespace: 'dev' })));
    const signal = AbortSignal.timeout(10_000);
    const mutated = await mutate(request(object), dependencies, signal);
    assert.deepEqual(mutated.verdict.warnings, [
      warning('root image in', c('initContainer', 'fix-perms', IMAGES.rootTools), 'User 0, no rootFallbackUid: runAsUser left unset'),
    ]);
    const denied = await validate(request(apply_patch(structuredClone(object), mutated.verdict.patch)), dependencies, signal);
    assert.match(denied.verdict.denial?.message ?? '', /\[guard\/nonRoot\] init container "fix-perms" .*image runs as root/);
  });

  it('a Pod UPDATE is never patched (its spec is immutable), so nothing is injected either', async () => {
    const dependencies = deps(policy(`  mutate:\n${INIT_TOOLS}`));
    const before = objectOf('Pod', 'web', { containers: [{ name: 'api', image: IMAGES.named }] }, { app: 'web' });
    const after = objectOf('Pod', 'web', { containers: [{ name: 'api', image: IMAGES.numeric }] }, { app: 'web' });
    const request = decodeAdmissionReview(JSON.stringify(admissionReview('Pod', after, { operation: 'UPDATE', oldObject: before })));
    const result = await mutate(request, dependencies, AbortSignal.timeout(10_000));
    assert.deepEqual(result.verdict.patch, []);
    assert.equal(result.skipped, 'a Pod spec cannot be changed after creation');
  });

  it('images are inspected only when a mutation needs their facts', async () => {
    const asked: string[] = [];
    const counting: FactsSource = async (request, signal) => {
      asked.push(request.image);
      return factsSource(request, signal);
    };
    const compiled = compilePolicies(parsePolicies(policy('  mutate: {pinDigest: Never, readOnlyRootFilesystem: true}\n'), 'p'), { guardNamespace: 'g' });
    const spec = {
      containers: [
        { name: 'set', image: IMAGES.named, securityContext: { runAsUser: 1000 } },
        { name: 'unset', image: IMAGES.numeric },
      ],
    };
    const request = decodeAdmissionReview(JSON.stringify(admissionReview('Pod', objectOf('Pod', 'web', spec), { namespace: 'shop' })));
    await mutate(request, { policies: () => compiled, namespaces: staticNamespaces(), facts: counting }, AbortSignal.timeout(10_000));
    // No pin, a read-only root (so /tmp gets an emptyDir whatever the image has), its own runAsUser: nothing to learn.
    assert.deepEqual(asked, [IMAGES.numeric]);
  });
});
