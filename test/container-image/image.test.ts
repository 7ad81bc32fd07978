/**
 * The shipped image (issue 22): built from the Dockerfile as written by `npm run image` (scripts/image.sh: buildah,
 * with stand-ins for bases this machine cannot pull), pushed to a real registry (Debian's docker-registry), judged by
 * the guard itself, its filesystem read, and run with runc as manifests/base/deployment.yaml asks of the kubelet,
 * against a real control plane: in-cluster config from a service account token, the TLS Secret at /tls, emptyDirs,
 * read-only root, no capabilities, uid 65532, the memory limit, the host's network.
 * scripts/test-image.sh runs it (npm run test:image, a step of npm test); it needs root.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { V1Deployment, V1EnvVar } from '@kubernetes/client-node';
import { waitFor } from '../support/control-plane.js';
import { e2eCluster, type Cluster } from '../support/e2e-cluster.js';
import { GUARD_NAMESPACE, removeInstall, renderInstall, webhookCaBundle, type KubeDoc } from '../support/e2e-guard.js';
import { apiserverClient } from '../support/https-client.js';
import { freePort } from '../support/net.js';
import { emptyDir, expandKubeletVars, podConfig, runContainer, secretVolume, unpackImage, type RunningContainer, type UnpackedImage } from '../support/oci-runtime.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { admissionReview } from '../support/reviews.js';

const ROOT = resolve(import.meta.dirname, '../..');
const LAUNCHER = join(ROOT, 'bin/distroless-guard');
const run = promisify(execFile);

interface PackageLock {
  readonly packages: Record<string, { readonly dev?: boolean; readonly optional?: boolean; readonly os?: string[]; readonly cpu?: string[] }>;
}

/** A Kubernetes memory quantity as the Deployment writes limits ("512Mi", "1Gi"). */
function memoryBytes(quantity: string): number {
  const m = /^(\d+)(Mi|Gi)$/.exec(quantity);
  assert.ok(m?.[1] !== undefined, `a memory limit like 512Mi, not ${quantity}`);
  return Number(m[1]) * 1024 ** (m[2] === 'Gi' ? 3 : 2);
}

/** A Kubernetes cpu quantity ("2", "500m") in millicores. */
function cpuMillis(quantity: string): number {
  const m = /^(\d+)(m?)$/.exec(quantity);
  assert.ok(m?.[1] !== undefined, `a cpu limit like 2 or 500m, not ${quantity}`);
  return Number(m[1]) * (m[2] === 'm' ? 1 : 1000);
}

/** A container's env as the kubelet resolves it: values, and the fieldRefs given (the downward API). */
function containerEnv(env: readonly V1EnvVar[], fields: Readonly<Record<string, string>>): Record<string, string> {
  const resolved: Record<string, string> = {};
  for (const variable of env) {
    const field = variable.valueFrom?.fieldRef?.fieldPath;
    const value = variable.value ?? (field !== undefined ? fields[field] : undefined);
    assert.ok(value !== undefined, `env ${variable.name}: only values and the fieldRefs ${Object.keys(fields).join(', ')} are resolved here`);
    resolved[variable.name] = value;
  }
  return resolved;
}

/**
 * A Secret's data as the kubelet reads it from the API. One the install does not ship (the TLS Secret of a
 * `certs`-made install) is made as docs/install.md says: `distroless-guard certs`, then `kubectl apply` its Secret.
 */
async function secretData(cluster: Cluster, name: string): Promise<Record<string, Buffer>> {
  const get = () => cluster.kubectl(['get', 'secret', name, '-n', GUARD_NAMESPACE, '-o', 'json']);
  let found = await get();
  if (found.code !== 0) {
    const out = await mkdtemp(join(tmpdir(), 'dg-image-certs-'));
    try {
      await run(LAUNCHER, ['certs', '--out', join(out, 'certs'), '--namespace', GUARD_NAMESPACE, '--secret-name', name, '--ip-address', '127.0.0.1'], { cwd: ROOT });
      await cluster.ok(['apply', '-f', join(out, 'certs/secret.yaml')]);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
    found = await get();
  }
  assert.equal(found.code, 0, found.stderr);
  const data = (JSON.parse(found.stdout) as { data?: Record<string, string> }).data ?? {};
  return Object.fromEntries(Object.entries(data).map(([key, value]) => [key, Buffer.from(value, 'base64')]));
}

/** A /proc/PID/status line's fields, e.g. Uid: real, effective, saved, filesystem. */
async function procStatus(pid: number, field: string): Promise<string[]> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const line = status.split('\n').find((l) => l.startsWith(`${field}:`));
  assert.ok(line, `/proc/${pid}/status has ${field}`);
  return line.slice(field.length + 1).trim().split(/\s+/);
}

describe('the container image, built from the Dockerfile as written', () => {
  const dir = { path: '' };
  let registry: TestRegistry;
  let reference: string;
  let buildReport: string;
  let image: UnpackedImage;
  const version = { value: '' };

  before(async () => {
    dir.path = await mkdtemp(join(tmpdir(), 'dg-image-'));
    version.value = (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    registry = await startRegistry();
    reference = `${registry.host}/distroless-guard:${version.value}`;
    // npm run image -- --push REF: the build (buildah, stand-in bases where needed), the size and layers, the push.
    const started = Date.now();
    const built = await run('sh', [join(ROOT, 'scripts/image.sh'), '--push', reference], { cwd: ROOT, timeout: 60 * 60_000, maxBuffer: 256 * 1024 * 1024 });
    const log = built.stderr.split('\n').filter((line) => line.startsWith('image: '));
    buildReport = `${log.join('\n')}\n${built.stdout}build and push: ${((Date.now() - started) / 1000).toFixed(0)} s`;
    image = await unpackImage(reference, dir.path);
  });

  after(async () => {
    await registry?.stop();
    if (dir.path) await rm(dir.path, { recursive: true, force: true });
  });

  it('prints its size and layers and says which bases were stand-ins', (t) => {
    for (const line of buildReport.split('\n')) t.diagnostic(line);
    assert.match(buildReport, /^image sha256:[0-9a-f]{12}: [\d.]+ MB in \d+ layers/m);
    assert.match(buildReport, /COPY in \.\/dist\n/, 'a layer per COPY, as docker build makes them');
    assert.match(buildReport, /pushed .*@sha256:[0-9a-f]{64}/);
    assert.match(buildReport, /image: base (docker\.io\/library\/node|gcr\.io\/distroless\/nodejs24-debian12)\S*: (pulled from its registry|cannot be pulled here; substituted)/);
  });

  it('is judged distroless by the guard itself: no shell, no package manager, non-root uid 65532', async () => {
    const { stdout } = await run(LAUNCHER, ['inspect', '--json', '--insecure-registry', '127.0.0.0/8', reference], { cwd: ROOT, timeout: 300_000 });
    const facts = JSON.parse(stdout) as { shells: unknown[]; packageManagers: unknown[]; nonRoot: boolean; user: { uid: number | null }; distroless: boolean; debugVariant: boolean; hasTmpDir: boolean };
    assert.deepEqual(facts.shells, [], 'no shell');
    assert.deepEqual(facts.packageManagers, [], 'no package manager');
    assert.equal(facts.user.uid, 65532);
    assert.equal(facts.nonRoot, true);
    assert.equal(facts.debugVariant, false);
    assert.equal(facts.hasTmpDir, true);
    assert.equal(facts.distroless, true);
  });

  it('runs as 65532 from /app with the runtime flags, as the Dockerfile says', () => {
    assert.deepEqual(image.config.process.user, { uid: 65532, gid: 65532, ...(image.config.process.user.additionalGids ? { additionalGids: image.config.process.user.additionalGids } : {}) });
    assert.equal(image.config.process.cwd, '/app');
    assert.equal(image.imageConfig.Entrypoint?.[0], '/nodejs/bin/node');
    assert.equal(image.imageConfig.Entrypoint?.at(-1), 'dist/cli/main.js');
    assert.ok(image.imageConfig.Env?.includes('MALLOC_ARENA_MAX=2'));
  });

  it('holds the compiled guard and the production dependencies, no dev dependency, source, test or cache', async () => {
    const app = join(image.rootfs, 'app');
    assert.ok(existsSync(join(app, 'dist/cli/main.js')), '/app/dist/cli/main.js');
    assert.equal((JSON.parse(await readFile(join(app, 'package.json'), 'utf8')) as { version: string }).version, version.value);
    for (const absent of ['node_modules/typescript', 'node_modules/tsx', 'node_modules/node', 'node_modules/.bin/tsc', 'src', 'test', 'bench', '.cache', 'node_modules/.cache', 'certs', 'tsconfig.json']) {
      assert.ok(!existsSync(join(app, absent)), `no /app/${absent}`);
    }
    for (const absent of ['root/.npm', 'root/.cache', 'tmp/node-compile-cache', 'usr/local/lib/node_modules', 'bin/sh', 'usr/bin/sh', 'usr/bin/dpkg', 'usr/bin/apt']) {
      assert.ok(!existsSync(join(image.rootfs, absent)), `no /${absent}`);
    }
    const compiled = readdirSync(join(app, 'dist'), { recursive: true, encoding: 'utf8' });
    assert.deepEqual(compiled.filter((f) => /\.test\.js$|\.ts$/.test(f) && !f.endsWith('.d.ts')), [], 'no tests nor TypeScript sources in dist/');

    // Exactly the lockfile's production packages: every dev-only package absent, every other one present.
    const lock = JSON.parse(await readFile(join(ROOT, 'package-lock.json'), 'utf8')) as PackageLock;
    const forThisMachine = (p: PackageLock['packages'][string]) => !p.optional || ((p.os ?? ['linux']).includes('linux') && (p.cpu ?? ['x64']).includes('x64'));
    const topLevel = Object.entries(lock.packages).filter(([path]) => /^node_modules\/(@[^/]+\/)?[^/]+$/.test(path));
    const devOnly = topLevel.filter(([, p]) => p.dev === true).map(([path]) => path).filter((path) => existsSync(join(app, path)));
    const missing = topLevel.filter(([, p]) => p.dev !== true && forThisMachine(p)).map(([path]) => path).filter((path) => !existsSync(join(app, path)));
    assert.deepEqual(devOnly, [], 'no dev-only package in the image');
    assert.deepEqual(missing, [], 'every production package in the image');
  });

  it('prints the package version with --version, under the restrictions of the Deployment', async () => {
    const container = await runContainer(dir.path, podConfig(image, { args: ['--version'] }));
    try {
      const code = await container.exited;
      assert.equal(code, 0, container.output());
      assert.equal(container.stdout().trim(), version.value);
    } finally {
      container.remove();
    }
  });

  describe('run as manifests/base/deployment.yaml asks, against a real control plane', () => {
    const POD_NAME = 'distroless-guard-0';
    let cluster: Cluster;
    let objects: KubeDoc[] = [];
    let deployment: V1Deployment;
    let container: RunningContainer;
    let port: number;
    let cacheDir: string | undefined;
    let client: ReturnType<typeof apiserverClient>;

    before(async () => {
      cluster = await e2eCluster();
      port = await freePort();
      // The install as a cluster admin applies it (CRDs first), with the webhooks calling 127.0.0.1:port by URL.
      objects = await renderInstall(cluster, 'manifests', port);
      await removeInstall(cluster, objects);
      const apply = (docs: readonly KubeDoc[]) => cluster.ok(['apply', '--server-side', '--field-manager=image-test', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: docs }) });
      const crds = objects.filter((o) => o.kind === 'CustomResourceDefinition');
      await apply(crds);
      for (const crd of crds) await cluster.ok(['wait', '--for=condition=Established', '--timeout=60s', `crd/${crd.metadata.name}`]);
      await apply(objects.filter((o) => o.kind !== 'CustomResourceDefinition'));
      const found = objects.find((o) => o.kind === 'Deployment');
      assert.ok(found, 'the install has a Deployment');
      deployment = found as unknown as V1Deployment;
      const pod = deployment.spec?.template.spec;
      const spec = pod?.containers[0];
      assert.ok(pod && spec?.args, 'the Deployment has a container with args');

      // What the kubelet does for this container: env (fieldRefs resolved), $(VAR) in args expanded from it,
      // volumes (Secrets read from the API, emptyDirs), the service account token, the API server's address.
      const env = containerEnv(spec.env ?? [], { 'metadata.namespace': GUARD_NAMESPACE, 'metadata.name': POD_NAME });
      const volumes = [];
      for (const mount of spec.volumeMounts ?? []) {
        const volume = pod.volumes?.find((v) => v.name === mount.name);
        const target = join(dir.path, 'volumes', mount.name);
        let source: string;
        if (volume?.emptyDir) source = await emptyDir(target);
        else if (volume?.secret?.secretName) source = await secretVolume(target, await secretData(cluster, volume.secret.secretName));
        else assert.fail(`the Deployment's volume ${mount.name} is neither an emptyDir nor a Secret`);
        if (mount.mountPath === '/var/cache/distroless-guard') cacheDir = source;
        volumes.push({ path: mount.mountPath, source, readOnly: mount.readOnly === true });
      }
      const token = (await cluster.ok(['create', 'token', pod.serviceAccountName ?? 'default', '-n', GUARD_NAMESPACE, '--duration', '1h'])).trim();
      const account = await secretVolume(join(dir.path, 'volumes/kube-api-access'), { token, 'ca.crt': cluster.caPem, namespace: GUARD_NAMESPACE });
      const server = new URL(cluster.server);
      const limits = spec.resources?.limits ?? {};
      assert.ok(limits['memory'] && limits['cpu'], 'the Deployment sets memory and cpu limits');
      // Host network: the test picks free ports (the Deployment's could be taken on this machine), names the
      // address the webhooks are called at (by URL, as envtest rewrites them) and lets the guard read the loopback
      // test registry.
      const testBed = ['--port', String(port), '--insecure-registry', '127.0.0.0/8'];
      if (spec.ports?.some((p) => p.name === 'metrics')) testBed.push('--metrics-port', String(await freePort()));
      if (spec.args.includes('--certificate-secret')) testBed.push('--certificate-ip-address', '127.0.0.1');
      container = await runContainer(
        dir.path,
        podConfig(image, {
          args: [...spec.args.map((arg) => expandKubeletVars(arg, env)), ...testBed],
          env: { ...env, KUBERNETES_SERVICE_HOST: server.hostname, KUBERNETES_SERVICE_PORT: server.port },
          volumes: [...volumes, { path: '/var/run/secrets/kubernetes.io/serviceaccount', source: account, readOnly: true }],
          memoryLimitBytes: memoryBytes(String(limits['memory'])),
          cpuLimitMillis: cpuMillis(String(limits['cpu'])),
          hostname: POD_NAME,
        }),
      );
      // Ready: policies listed from the API server and the webhooks' caBundle written by the guard over its in-cluster
      // config; /readyz verified with that caBundle, as kube-apiserver verifies the webhook.
      client = await waitFor(
        'the guard in the image ready (caBundle in place, /readyz 200 over TLS verified with it)',
        async () => {
          const ca = await webhookCaBundle(cluster).catch(() => undefined);
          if (ca === undefined) return undefined;
          const candidate = apiserverClient(port, ca);
          if ((await candidate.get('/readyz').catch(() => undefined))?.status === 200) return candidate;
          candidate.close();
          return undefined;
        },
        { timeoutMs: 120_000, intervalMs: 1000, describe: () => container.output().slice(-3000) },
      );
    });

    after(async () => {
      client?.close();
      container?.remove();
      if (cluster) {
        // A shared control plane (DG_E2E_CLUSTER) is left as found; an own one is stopped.
        if (process.env['DG_E2E_CLUSTER'] !== undefined) await removeInstall(cluster, objects).catch(() => undefined);
        await cluster.release();
      }
    });

    it('runs as uid and gid 65532 with no capability and no privilege escalation', async () => {
      const pid = await container.pid();
      assert.deepEqual(await procStatus(pid, 'Uid'), ['65532', '65532', '65532', '65532']);
      assert.deepEqual(await procStatus(pid, 'Gid'), ['65532', '65532', '65532', '65532']);
      assert.deepEqual(await procStatus(pid, 'CapEff'), ['0000000000000000']);
      assert.deepEqual(await procStatus(pid, 'NoNewPrivs'), ['1']);
    });

    it('answers /healthz over TLS for the Service name, with the certificate the webhooks trust', async () => {
      const health = await client.get('/healthz');
      assert.equal(health.status, 200, health.body);
    });

    it('answers an AdmissionReview: its own Deployment pod, with the image it runs from, is allowed', async () => {
      const template = structuredClone(deployment.spec?.template);
      assert.ok(template?.spec);
      template.spec.containers = template.spec.containers.map((c) => ({ ...c, image: reference }));
      const uid = '0f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9';
      const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { ...template.metadata, name: 'guard-copy', namespace: 'shop' }, spec: template.spec };
      const reply = await client.post('/validate?timeout=10s', JSON.stringify(admissionReview('Pod', pod, { uid, namespace: 'shop' })));
      assert.equal(reply.status, 200, reply.body);
      const response = (reply.json as { response: { uid: string; allowed: boolean; status?: { message?: string } } }).response;
      assert.equal(response.uid, uid);
      assert.equal(response.allowed, true, response.status?.message);
      // The image's facts went to the image-cache emptyDir: the read-only root filesystem is no obstacle.
      assert.ok(cacheDir, 'the Deployment mounts an emptyDir at /var/cache/distroless-guard');
      assert.ok(readdirSync(cacheDir, { recursive: true }).length > 0, 'the image cache emptyDir holds facts');
    });

    it('stops cleanly on SIGTERM within the termination grace period', async (t) => {
      const grace = (deployment.spec?.template.spec?.terminationGracePeriodSeconds ?? 30) * 1000;
      const started = Date.now();
      await container.kill('SIGTERM');
      const code = await Promise.race([container.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), grace).unref())]);
      const elapsed = Date.now() - started;
      t.diagnostic(`SIGTERM to exit: ${(elapsed / 1000).toFixed(1)} s (grace ${grace / 1000} s)`);
      assert.equal(code, 0, container.output().slice(-3000));
      assert.ok(elapsed < grace);
      assert.match(container.output(), /"msg":"shut down"/);
    });
  });
});
