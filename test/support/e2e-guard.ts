/**
 * The guard installed the way a cluster admin installs it, on the e2e tier's real control plane:
 * `kubectl kustomize manifests` applied with `kubectl apply --server-side`, and the webhook configurations used as
 * installed except that the Service reference becomes `url: https://127.0.0.1:PORT/<path>` (what envtest does: no
 * kubelet runs the Deployment and no kube-proxy routes a ClusterIP). The guard itself runs as local processes with the
 * Deployment's own args ($(VAR) expanded and paths mapped to temp folders, as kubelet would), authenticated as its
 * ServiceAccount with a token from the TokenRequest API, so the install's RBAC is what it has. With the install's
 * default `--certificate-secret`, the guard keeps certificate, CA and caBundle itself from the empty Secret the
 * install ships (its certificate also names 127.0.0.1, the URL); args with `--tls-cert` (cert-manager's) get the
 * Secret `distroless-guard certs` makes instead, cert-manager not being installed here.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { V1Deployment } from '@kubernetes/client-node';
import { parseAllDocuments, stringify } from 'yaml';
import { trackChild, untrackChild } from './cleanup.js';
import { waitFor } from './control-plane.js';
import type { Cluster } from './e2e-cluster.js';
import { freePort } from './net.js';

const ROOT = resolve(import.meta.dirname, '../..');
const LAUNCHER = join(ROOT, 'bin/distroless-guard');
export const GUARD_NAMESPACE = 'distroless-guard';
export const GUARD_ACCOUNT = `system:serviceaccount:${GUARD_NAMESPACE}:distroless-guard`;

export type KubeDoc = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; [key: string]: unknown };

export interface GuardReplica {
  readonly name: string;
  readonly port: number;
  /** The guard's own process id (the launcher execs node), e.g. to freeze it with SIGSTOP as a hung node would. */
  readonly pid: number | undefined;
  /** Everything it wrote to stdout (JSON log lines) and stderr so far. */
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface InstalledGuard {
  /** The port the webhook configurations' URLs name (the first replica listens there). */
  readonly port: number;
  /** The TLS Secret (in GUARD_NAMESPACE): --certificate-secret's, or the one the Deployment mounts. */
  readonly tlsSecret: string;
  /** The objects applied, as rendered and rewritten. */
  readonly objects: readonly KubeDoc[];
  /** The Deployment's container args, as rendered. */
  readonly deploymentArgs: readonly string[];
  /** Running replicas, the first on `port`. */
  readonly replicas: GuardReplica[];
  /** Starts one more replica (leader election): `port` 0 picks a free one the webhooks do not call. */
  startReplica(name: string, options?: { port?: number; extraArgs?: readonly string[] }): Promise<GuardReplica>;
  /** Stops every replica and deletes what was applied (webhook configurations first, so no call finds it gone). */
  uninstall(): Promise<void>;
}

export interface InstallOptions {
  /** A kustomization folder under the repository (default "manifests"). */
  readonly kustomization?: string;
  /** Extra serve flags for every replica (e.g. --insecure-registry for the test registry). */
  readonly extraArgs?: readonly string[];
  /**
   * Renders the install another way than `kubectl kustomize` (e.g. `helm template` with the same URL rewrite), with
   * the webhooks calling 127.0.0.1:`port`; `install` then applies it (e.g. `helm install`) instead of
   * `kubectl apply --server-side`.
   */
  readonly render?: (port: number) => Promise<KubeDoc[]>;
  readonly install?: (port: number) => Promise<void>;
}

/** Renders, rewrites and applies the install, creates the TLS Secret, starts the first replica and waits until ready. */
export async function installGuard(cluster: Cluster, options: InstallOptions = {}): Promise<InstalledGuard> {
  const port = await freePort();
  const objects = options.render ? await options.render(port) : await renderInstall(cluster, options.kustomization ?? 'manifests', port);
  // The e2e files share one control plane: whatever an earlier install left (a namespace still terminating, webhooks
  // calling a guard that is gone) is removed first, and a failed install removes what it applied.
  await removeInstall(cluster, objects);
  try {
    return await applyAndStart(cluster, objects, port, options);
  } catch (error) {
    await removeInstall(cluster, objects);
    throw error;
  }
}

/**
 * Deletes an install: the webhook configurations first (so no admission calls a guard that is gone), then the
 * guard's namespace, waited for (a namespace still terminating refuses new objects), then the cluster-scoped rest.
 */
export async function removeInstall(cluster: Cluster, objects: readonly KubeDoc[]): Promise<void> {
  for (const kind of ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration'])
    await cluster.kubectl(['delete', kind, 'distroless-guard', '--ignore-not-found']);
  // Policies a test file created are its own; the next install starts from the rendered ones only.
  await cluster.kubectl(['delete', 'distrolesspolicies.distroless-guard.io', '--all', '--ignore-not-found']);
  await cluster.kubectl(['delete', 'namespace', GUARD_NAMESPACE, '--ignore-not-found', '--wait=true', '--timeout=120s'], { timeoutMs: 130_000 });
  for (const o of objects.filter((x) => x.metadata.namespace === undefined && !['Namespace', 'CustomResourceDefinition'].includes(x.kind))) {
    await cluster.kubectl(['delete', o.kind, o.metadata.name, '--ignore-not-found']);
  }
}

async function applyAndStart(cluster: Cluster, objects: readonly KubeDoc[], port: number, options: InstallOptions): Promise<InstalledGuard> {
  // As the install docs say: the CRDs first, Established, then the rest (the default DistrolessPolicy needs its CRD).
  // Written back as YAML 1.1, the YAML kubectl reads: a string such as "Off" stays quoted, not the boolean false.
  const apply = (docs: readonly KubeDoc[]) =>
    cluster.ok(['apply', '--server-side', '--field-manager=e2e-install', '-f', '-'], {
      input: docs.map((o) => stringify(o, { version: '1.1' })).join('---\n'),
    });
  const crds = objects.filter((o) => o.kind === 'CustomResourceDefinition');
  if (options.install) await options.install(port);
  else {
    await apply(crds);
    for (const crd of crds) await cluster.ok(['wait', '--for=condition=Established', '--timeout=60s', `crd/${crd.metadata.name}`]);
    await apply(objects.filter((o) => o.kind !== 'CustomResourceDefinition'));
  }

  const dir = await mkdtemp(join(tmpdir(), 'dg-e2e-guard-'));
  const certs = join(dir, 'tls');
  const deployment = objects.find((o): o is KubeDoc & V1Deployment => o.kind === 'Deployment');
  const deploymentArgs = deployment?.spec?.template.spec?.containers[0]?.args ?? [];
  if (deploymentArgs.length === 0) throw new Error('the rendered Deployment has no container args');
  const kubelet = (name: string) => expandArgs(deploymentArgs, { POD_NAMESPACE: GUARD_NAMESPACE, POD_NAME: name });
  const certificateSecret = flagValue(kubelet('guard-0'), '--certificate-secret');
  const selfManaged = certificateSecret !== undefined;
  const tlsSecret = selfManaged
    ? (certificateSecret.split('/')[1] ?? '')
    : (deployment?.spec?.template.spec?.volumes?.find((v) => v.name === 'tls')?.secret?.secretName ?? 'distroless-guard-tls');
  if (selfManaged) {
    // The install ships the Secret the guard fills: nothing is made for it here.
    if (!objects.some((o) => o.kind === 'Secret' && `${o.metadata.namespace ?? ''}/${o.metadata.name}` === certificateSecret)) {
      throw new Error(`the install names --certificate-secret ${certificateSecret} but does not create that Secret`);
    }
  } else {
    // The mounted Secret cert-manager would make: `distroless-guard certs` makes one. The IP SAN is for the URL.
    await run(LAUNCHER, ['certs', '--out', certs, '--namespace', GUARD_NAMESPACE, '--ip-address', '127.0.0.1']);
    await cluster.ok(['apply', '-f', join(certs, 'secret.yaml')]);
  }

  const token = (await cluster.ok(['create', 'token', 'distroless-guard', '-n', GUARD_NAMESPACE, '--duration', '2h'])).trim();
  const kubeconfig = join(dir, 'serviceaccount.kubeconfig');
  await writeFile(kubeconfig, serviceAccountKubeconfig(cluster, token), { mode: 0o600 });

  // The Deployment's paths on this machine: the mounted Secret and the image cache emptyDir.
  const args = (name: string) => [
    ...kubelet(name).map((a) => a.replace(/^\/tls\//, `${certs}/`).replace(/^\/var\/cache\/distroless-guard$/, join(dir, 'image-cache'))),
    ...(selfManaged ? ['--certificate-ip-address', '127.0.0.1'] : []),
  ];
  // /readyz verified as kube-apiserver verifies the webhook: with the caBundle in place, or the CA file `certs` wrote.
  const trustedCa = selfManaged ? () => webhookCaBundle(cluster) : () => readFile(join(certs, 'ca.crt'), 'utf8');

  const replicas: GuardReplica[] = [];
  const startReplica = async (name: string, replicaOptions: { port?: number; extraArgs?: readonly string[] } = {}): Promise<GuardReplica> => {
    const replica = await startGuardProcess(
      name,
      [
        ...args(name),
        '--host',
        '127.0.0.1',
        '--port',
        String(replicaOptions.port ?? 0),
        '--metrics-port',
        '0',
        '--kubeconfig',
        kubeconfig,
        '--log-level',
        'info',
        ...(options.extraArgs ?? []),
        ...(replicaOptions.extraArgs ?? []),
      ],
      dir,
    );
    replicas.push(replica);
    return replica;
  };
  try {
    const first = await startReplica('guard-0', { port });
    await waitFor('the guard ready (policies listed, caBundle patched)', () => ready(first.port, trustedCa), { timeoutMs: 60_000, describe: first.output });
  } catch (error) {
    await Promise.all(replicas.map((r) => r.stop('SIGKILL')));
    await rm(dir, { recursive: true, force: true });
    throw error;
  }

  return {
    port,
    tlsSecret,
    objects,
    deploymentArgs,
    replicas,
    startReplica,
    async uninstall() {
      for (const kind of ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration'])
        await cluster.kubectl(['delete', kind, 'distroless-guard', '--ignore-not-found']);
      await Promise.all(replicas.map((r) => r.stop()));
      await removeInstall(cluster, objects);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * `kubectl kustomize` of a kustomization under the repository, read as kubectl reads YAML (1.1: an unquoted Off is
 * the boolean false, so what is applied is what kubectl sends), with the webhooks calling 127.0.0.1:`port`.
 */
export async function renderInstall(cluster: Cluster, kustomization: string, port: number): Promise<KubeDoc[]> {
  const rendered = await cluster.ok(['kustomize', join(ROOT, kustomization)]);
  return parseAllDocuments(rendered, { version: '1.1' })
    .map((d) => d.toJS() as KubeDoc | null)
    .filter((o): o is KubeDoc => o !== null)
    .map((o) => withUrlWebhooks(o, port));
}

/** A webhook's Service reference becomes a URL on this machine (envtest's rewrite); everything else as installed. */
export function withUrlWebhooks(object: KubeDoc, port: number): KubeDoc {
  if (object.kind !== 'ValidatingWebhookConfiguration' && object.kind !== 'MutatingWebhookConfiguration') return object;
  const webhooks = (object['webhooks'] as Array<{ clientConfig: { service?: { path?: string } } }>).map((w) => {
    const { service, ...rest } = w.clientConfig;
    return { ...w, clientConfig: { ...rest, url: `https://127.0.0.1:${port}${service?.path ?? '/'}` } };
  });
  return { ...object, webhooks };
}

function serviceAccountKubeconfig(cluster: Cluster, token: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'e2e', cluster: { server: cluster.server, 'certificate-authority-data': Buffer.from(cluster.caPem).toString('base64') } }],
    users: [{ name: 'distroless-guard', user: { token } }],
    contexts: [{ name: 'guard', context: { cluster: 'e2e', user: 'distroless-guard', namespace: GUARD_NAMESPACE } }],
    'current-context': 'guard',
  });
}

async function startGuardProcess(name: string, args: readonly string[], dir: string): Promise<GuardReplica> {
  let output = '';
  const child: ChildProcess = spawn(LAUNCHER, args, {
    cwd: dir,
    env: { ...process.env, POD_NAMESPACE: GUARD_NAMESPACE, POD_NAME: name, DOCKER_CONFIG: join(dir, 'no-docker-config') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  trackChild(child);
  child.stdout?.setEncoding('utf8').on('data', (c: string) => (output += c));
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  const port = await new Promise<number>((resolvePort, reject) => {
    child.stderr?.setEncoding('utf8').on('data', (c: string) => {
      output += c;
      const found = /serving https:\/\/127\.0\.0\.1:(\d+)/.exec(output)?.[1];
      if (found !== undefined) resolvePort(Number(found));
    });
    void exited.then((code) => reject(new Error(`guard ${name} exited (${String(code)}) before listening:\n${output}`)));
    setTimeout(() => reject(new Error(`guard ${name} did not listen within 60 s:\n${output}`)), 60_000).unref();
  });
  let stopped: Promise<number | null> | undefined;
  return {
    name,
    port,
    pid: child.pid,
    output: () => output,
    stop(signal = 'SIGTERM') {
      stopped ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
        const kill = setTimeout(() => child.kill('SIGKILL'), 45_000);
        const code = await exited;
        clearTimeout(kill);
        untrackChild(child);
        return code;
      })();
      return stopped;
    },
  };
}

/**
 * A container's args as kubelet passes them: `$(VAR)` replaced by the container's env variable VAR, `$$` by `$`, a
 * reference to a variable it does not define left as it is (Kubernetes' expansion rules for command and args).
 */
export function expandArgs(args: readonly string[], env: Readonly<Record<string, string>>): string[] {
  return args.map((arg) =>
    arg.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (all, name: string | undefined) => (name === undefined ? '$' : (env[name] ?? all))),
  );
}

function flagValue(args: readonly string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i < 0 ? undefined : args[i + 1];
}

/** The PEM the ValidatingWebhookConfiguration's first webhook trusts (what kube-apiserver verifies the guard with). */
export async function webhookCaBundle(cluster: Cluster): Promise<string | undefined> {
  const config = await cluster.json<{ webhooks?: Array<{ clientConfig?: { caBundle?: string } }> }>([
    'get',
    'validatingwebhookconfiguration',
    'distroless-guard',
  ]);
  const bundle = config.webhooks?.[0]?.clientConfig?.caBundle;
  return bundle ? Buffer.from(bundle, 'base64').toString('utf8') : undefined;
}

/** /readyz over HTTPS trusting only `trustedCa` (none yet: not ready): true once 200. */
async function ready(port: number, trustedCa: () => Promise<string | undefined>): Promise<true | undefined> {
  const { request } = await import('node:https');
  const ca = await trustedCa().catch(() => undefined);
  if (ca === undefined) return undefined;
  return new Promise((resolveReady) => {
    const req = request({ host: '127.0.0.1', port, path: '/readyz', ca, servername: '127.0.0.1', timeout: 2_000 }, (res) => {
      res.resume();
      resolveReady(res.statusCode === 200 ? true : undefined);
    });
    req.on('error', () => resolveReady(undefined));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

function run(command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolveRun(out) : reject(new Error(`${command} ${args.join(' ')} exited ${String(code)}:\n${out}`))));
  });
}
