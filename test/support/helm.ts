/**
 * The Helm chart (charts/distroless-guard) as the tests meet it: the Helm CLI built from Go modules by scripts/helm.sh
 * (test/tools/helm, once per machine), `helm template` read the way kubectl reads YAML (1.1), and the
 * kustomize rendering it is compared with (`kubectl kustomize` through the control plane's own kubectl).
 * A binary that cannot be built fails the test with the script's reason; nothing is skipped.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { trackChild, untrackChild } from './cleanup.js';
import { controlPlaneBinaries } from './control-plane.js';
import { idOf, type KubeObject } from './kustomize.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const CHART = join(ROOT, 'charts/distroless-guard');
export const MANIFESTS = join(ROOT, 'manifests');
const run = promisify(execFile);

/** Runs a build script of scripts/ (it prints the binary's path last) and returns that path. */
export async function builtTool(script: string, timeoutMs = 30 * 60_000): Promise<string> {
  const child = spawn('sh', [join(ROOT, 'scripts', script)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  trackChild(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
    process.stderr.write(c);
  });
  const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
  const code = await new Promise<number | null>((done, reject) => {
    child.once('error', reject);
    child.once('close', done);
  }).finally(() => {
    clearTimeout(timer);
    untrackChild(child);
  });
  if (code !== 0) throw new Error(`scripts/${script} failed (exit ${String(code)}):\n${stderr.slice(-3000)}`);
  const path = stdout.trimEnd().split('\n').pop()?.trim() ?? '';
  if (path === '') throw new Error(`scripts/${script} printed no path`);
  return path;
}

let helmMemo: Promise<string> | undefined;
/** The Helm 4 binary scripts/helm.sh built (or HELM names). */
export function helmBinary(): Promise<string> {
  helmMemo ??= builtTool('helm.sh');
  return helmMemo;
}

export interface HelmResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs helm with a private config, cache and data home (no user repositories or plugins leak in). */
export async function helm(args: readonly string[], env: Record<string, string> = {}): Promise<HelmResult> {
  const binary = await helmBinary();
  const home = join(ROOT, '.cache/helm/home');
  try {
    const { stdout, stderr } = await run(binary, [...args], {
      env: {
        PATH: process.env['PATH'] ?? '',
        HOME: home,
        HELM_CONFIG_HOME: join(home, 'config'),
        HELM_CACHE_HOME: join(home, 'cache'),
        HELM_DATA_HOME: join(home, 'data'),
        ...env,
      },
      cwd: ROOT,
      maxBuffer: 64 * 1024 * 1024,
      timeout: 5 * 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(error) };
  }
}

/** Objects of a YAML stream, read as kubectl reads it (YAML 1.1). */
export function parseObjects(text: string): KubeObject[] {
  return parseAllDocuments(text, { version: '1.1' })
    .map((d) => {
      if (d.errors.length > 0) throw new Error(`not valid YAML: ${d.errors[0]?.message}`);
      return d.toJS() as KubeObject | null;
    })
    .filter((o): o is KubeObject => o !== null);
}

/** `--set`-free values: written to a file, as a user's values.yaml. */
export async function helmTemplate(values: Record<string, unknown> = {}, options: { namespace?: string; release?: string } = {}): Promise<KubeObject[]> {
  const dir = await mkdtemp(join(tmpdir(), 'dg-helm-values-'));
  try {
    const file = join(dir, 'values.yaml');
    await writeFile(file, JSON.stringify(values));
    const result = await helm([
      'template',
      options.release ?? 'distroless-guard',
      CHART,
      '--namespace',
      options.namespace ?? 'distroless-guard',
      '--include-crds',
      '-f',
      file,
    ]);
    if (result.code !== 0) throw new Error(`helm template failed (exit ${result.code}):\n${result.stderr}`);
    return parseObjects(result.stdout);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * `kubectl kustomize` of a kustomization made in a temp dir (namespace, resources, components and transformers
 * named relative to the repository root), with the control plane's own kubectl.
 */
export async function kustomize(kustomization: {
  namespace?: string;
  resources: string[];
  components?: string[];
  transformers?: string[];
}): Promise<KubeObject[]> {
  const kubectl = join(await controlPlaneBinaries({ progress: () => undefined }), 'kubectl');
  const dir = await mkdtemp(join(tmpdir(), 'dg-kustomize-'));
  try {
    const rel = (paths: readonly string[] = []) => paths.map((p) => relative(dir, join(ROOT, p)));
    const k = {
      ...(kustomization.namespace ? { namespace: kustomization.namespace } : {}),
      resources: rel(kustomization.resources),
      components: rel(kustomization.components),
      transformers: rel(kustomization.transformers),
    };
    await writeFile(join(dir, 'kustomization.yaml'), JSON.stringify(k));
    const { stdout } = await run(kubectl, ['kustomize', dir], { maxBuffer: 64 * 1024 * 1024 });
    return parseObjects(stdout);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function sortById(objects: readonly KubeObject[]): KubeObject[] {
  return [...objects].sort((a, b) => idOf(a).localeCompare(idOf(b)));
}
