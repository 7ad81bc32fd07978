/**
 * A container image run the way a kubelet runs a Pod's container, with Debian's own tools instead of a container
 * runtime service: the image copied from its registry into an OCI layout (skopeo), unpacked into an OCI runtime
 * bundle (umoci: the root filesystem and a config.json made from the image's configuration), then started by runc
 * with the config rewritten as the Pod asks: its args after the image's ENTRYPOINT, its env, its volumes (a Secret as
 * the kubelet writes one, emptyDirs), a read-only root filesystem, no capabilities, no privilege escalation, a memory
 * limit, and the host's network. The tools come from scripts/image/tools.sh; everything here needs root.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { trackChild, untrackChild } from './cleanup.js';

const run = promisify(execFile);

/** The parts of an OCI runtime config.json (runtime-spec config.md) this module reads or rewrites. */
export interface RuntimeConfig {
  process: {
    terminal?: boolean;
    user: { uid: number; gid: number; additionalGids?: number[] };
    args: string[];
    env: string[];
    cwd: string;
    capabilities?: Record<'bounding' | 'effective' | 'inheritable' | 'permitted' | 'ambient', string[]>;
    noNewPrivileges?: boolean;
  };
  root: { path: string; readonly?: boolean };
  hostname?: string;
  mounts: { destination: string; type?: string; source?: string; options?: string[] }[];
  linux: {
    namespaces: { type: string; path?: string }[];
    resources?: { memory?: { limit?: number }; cpu?: { quota?: number; period?: number } };
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** The runtime part of an OCI image configuration (image-spec config.md, `config`). */
export interface ImageConfig {
  readonly User?: string;
  readonly Entrypoint?: string[];
  readonly Cmd?: string[];
  readonly Env?: string[];
  readonly WorkingDir?: string;
}

export interface UnpackedImage {
  /** The bundle folder umoci wrote (config.json, rootfs/). */
  readonly bundle: string;
  readonly rootfs: string;
  /** umoci's config.json: the image's user, entrypoint + cmd, env and working directory. */
  readonly config: RuntimeConfig;
  /** The image's own configuration (umoci's args are ENTRYPOINT and CMD run together). */
  readonly imageConfig: ImageConfig;
}

/** `skopeo copy` from a plain-HTTP registry on 127.0.0.1 into an OCI layout, then `umoci unpack` into a bundle. */
export async function unpackImage(reference: string, dir: string): Promise<UnpackedImage> {
  const layout = join(dir, 'oci');
  const bundle = join(dir, 'bundle');
  await run('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${reference}`, `oci:${layout}:image`], { timeout: 300_000 });
  await run('umoci', ['unpack', '--image', `${layout}:image`, bundle], { timeout: 300_000 });
  const config = JSON.parse(await readFile(join(bundle, 'config.json'), 'utf8')) as RuntimeConfig;
  const { stdout } = await run('skopeo', ['inspect', '--config', `oci:${layout}:image`]);
  const imageConfig = (JSON.parse(stdout) as { config?: ImageConfig }).config ?? {};
  return { bundle, rootfs: join(bundle, 'rootfs'), config, imageConfig };
}

/**
 * A Secret volume as the kubelet writes it (pkg/volume/util/atomic_writer.go): the files in a timestamped folder,
 * `..data` pointing at it, and one symlink per key through `..data`, mode 0644 (the default `defaultMode`), so a
 * container user other than root can read tls.key.
 */
export async function secretVolume(dir: string, data: Readonly<Record<string, string | Buffer>>): Promise<string> {
  const payload = join(dir, `..${new Date().toISOString().replace(/[-:.]/g, '_')}`);
  await mkdir(payload, { recursive: true });
  for (const [key, value] of Object.entries(data)) {
    await writeFile(join(payload, key), value, { mode: 0o644 });
    await symlink(join('..data', key), join(dir, key));
  }
  await symlink(payload.slice(dir.length + 1), join(dir, '..data'));
  return dir;
}

/** An emptyDir as the kubelet makes one on the node's disk: an empty folder, mode 0777, for any container user. */
export async function emptyDir(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  await chmod(dir, 0o777);
  return dir;
}

export interface PodContainer {
  /** The container's args: what follows the image's ENTRYPOINT (a Pod's `args` replace the image's CMD only). */
  readonly args: readonly string[];
  /** Extra environment (a Pod's `env`, the kubelet's service variables). */
  readonly env?: Readonly<Record<string, string>>;
  /** Host folders mounted into the container (the Pod's volumeMounts). */
  readonly volumes?: readonly { readonly path: string; readonly source: string; readonly readOnly: boolean }[];
  /** resources.limits.memory, in bytes. */
  readonly memoryLimitBytes?: number;
  /** resources.limits.cpu, in millicores (a CFS quota per 100 ms period, as the kubelet sets it). */
  readonly cpuLimitMillis?: number;
  readonly hostname?: string;
}

/**
 * umoci's config rewritten as a restricted Pod's container runs: ENTRYPOINT + the container's args, the image's env
 * plus the container's (without the TERM umoci adds for a terminal: the kubelet gives none), `readOnlyRootFilesystem`,
 * `capabilities: drop: [ALL]`, `allowPrivilegeEscalation: false` (no_new_privs), the volumes bind-mounted, the
 * memory limit as a cgroup limit, and the host's network namespace, /etc/hosts and /etc/resolv.conf (hostNetwork, so
 * a test reaches it on 127.0.0.1).
 */
export function podConfig(image: UnpackedImage, container: PodContainer): RuntimeConfig {
  const config = structuredClone(image.config);
  const env = config.process.env.filter((entry) => !entry.startsWith('TERM='));
  for (const [name, value] of Object.entries(container.env ?? {})) env.push(`${name}=${value}`);
  config.process = {
    ...config.process,
    terminal: false,
    args: [...(image.imageConfig.Entrypoint ?? []), ...container.args],
    env,
    capabilities: { bounding: [], effective: [], inheritable: [], permitted: [], ambient: [] },
    noNewPrivileges: true,
  };
  config.root = { path: image.rootfs, readonly: true };
  config.hostname = container.hostname ?? 'pod';
  config.mounts = [
    ...config.mounts,
    ...['/etc/hosts', '/etc/resolv.conf'].map((path) => ({ destination: path, type: 'bind', source: path, options: ['rbind', 'ro'] })),
    ...(container.volumes ?? []).map((v) => ({
      destination: v.path,
      type: 'bind',
      source: v.source,
      options: ['rbind', v.readOnly ? 'ro' : 'rw', 'nosuid', 'nodev'],
    })),
  ];
  config.linux = {
    ...config.linux,
    namespaces: config.linux.namespaces.filter((ns) => ns.type !== 'network'),
    resources: {
      ...config.linux.resources,
      ...(container.memoryLimitBytes !== undefined ? { memory: { limit: container.memoryLimitBytes } } : {}),
      ...(container.cpuLimitMillis !== undefined ? { cpu: { quota: container.cpuLimitMillis * 100, period: 100_000 } } : {}),
    },
  };
  return config;
}

/**
 * The kubelet's expansion of `$(VAR)` in a container's args from its env (Kubernetes "dependent environment
 * variables", third_party/forked/golang/expansion): `$(NAME)` becomes NAME's value when the env defines it and stays
 * as written otherwise; `$$` is a literal `$`.
 */
export function expandKubeletVars(text: string, env: Readonly<Record<string, string>>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name: string | undefined) => {
    if (name === undefined) return '$';
    return Object.hasOwn(env, name) ? (env[name] ?? match) : match;
  });
}

export interface RunningContainer {
  readonly id: string;
  /** The container's init process as the host sees it (runc state). */
  pid(): Promise<number>;
  /** Everything it wrote so far (stdout and stderr). */
  output(): string;
  stdout(): string;
  /** Sends a signal to the container's init, as the kubelet does through the runtime (`runc kill`). */
  kill(signal: NodeJS.Signals): Promise<void>;
  /** Resolves with runc's exit code (the container process's) once it has exited. */
  readonly exited: Promise<number | null>;
  /** Kills (SIGKILL) and deletes the container; idempotent. */
  remove(): void;
}

/** Writes `config` as a bundle of its own (root.path points at the shared rootfs) and starts it with runc. */
export async function runContainer(dir: string, config: RuntimeConfig): Promise<RunningContainer> {
  const id = `dg-test-${randomBytes(4).toString('hex')}`;
  const bundle = join(dir, id);
  await mkdir(bundle, { recursive: true });
  await writeFile(join(bundle, 'config.json'), JSON.stringify(config, null, 1));
  let stdout = '';
  let all = '';
  const child: ChildProcess = spawn('runc', ['run', '--bundle', bundle, id], { stdio: ['ignore', 'pipe', 'pipe'] });
  trackChild(child);
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    all += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (all += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let removed = false;
  const remove = (): void => {
    if (removed) return;
    removed = true;
    process.removeListener('exit', remove);
    untrackChild(child);
    // Killing runc would leave the container running: the runtime removes it, as the kubelet's would.
    try {
      execFileSync('runc', ['delete', '--force', id], { stdio: 'ignore' });
    } catch {
      // Already gone.
    }
  };
  process.once('exit', remove);
  return {
    id,
    async pid() {
      const { stdout: state } = await run('runc', ['state', id]);
      return (JSON.parse(state) as { pid: number }).pid;
    },
    output: () => all,
    stdout: () => stdout,
    async kill(signal) {
      await run('runc', ['kill', id, signal.replace(/^SIG/, '')]);
    },
    exited,
    remove,
  };
}
