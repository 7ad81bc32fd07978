import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before } from 'node:test';
import { startServe, type ServeHandle } from '../../src/cli/serve.js';
import { testLookup } from './dns.js';
import { apiserverClient } from './https-client.js';
import { testRegistryWithImages, type SeededRegistry } from './seeded.js';

export interface TestServer {
  readonly serve: ServeHandle;
  /** Talks HTTPS to it as kube-apiserver does: the generated CA, the Service DNS name. */
  readonly client: ReturnType<typeof apiserverClient>;
  /** Its working directory: policy.yaml, certs/, whatever the test writes. */
  readonly dir: string;
  close(): Promise<void>;
}

/**
 * `serve` in this process on a free loopback port with development certificates, a policy file (when given) and
 * no registry credentials, plus a client for it. `args` are appended (e.g. --offline, --kubeconfig).
 */
export interface TestServerOptions {
  /** Written to DIR/policy.yaml and passed as --policy. */
  readonly policy?: string;
  /** More files to write into DIR first (e.g. a kubeconfig), by name. */
  readonly files?: Readonly<Record<string, string>>;
  /** Extra flags; a function gets DIR, to name the files written there. */
  readonly args?: readonly string[] | ((dir: string) => readonly string[]);
  readonly env?: NodeJS.ProcessEnv;
  readonly logLevel?: string;
  /**
   * List 127.0.0.0/8 and localhost with --insecure-registry, as every test registry here is plain HTTP on loopback (default true;
   * serve itself implies nothing for loopback). The SSRF tests turn it off.
   */
  readonly loopbackRegistries?: boolean;
}

/** `serve` on free loopback ports (webhook and metrics) with development certificates in DIR/certs. */
export function loopbackServeArgs(dir: string): string[] {
  return ['--port', '0', '--metrics-port', '0', '--host', '127.0.0.1', '--certs-dir', join(dir, 'certs')];
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dir = await mkdtemp(join(tmpdir(), 'dg-serve-'));
  const files = { ...options.files, ...(options.policy === undefined ? {} : { 'policy.yaml': options.policy }) };
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  const policyArgs = options.policy === undefined ? [] : ['--policy', join(dir, 'policy.yaml')];
  const extra = typeof options.args === 'function' ? options.args(dir) : (options.args ?? []);
  const loopback = options.loopbackRegistries === false ? [] : ['--insecure-registry', '127.0.0.0/8', '--insecure-registry', 'localhost'];
  const serve = await startServe(
    [
      ...loopbackServeArgs(dir),
      ...policyArgs,
      '--log-level',
      options.logLevel ?? 'silent',
      ...loopback,
      ...extra,
    ],
    {
      stdout: new PassThrough(),
      stderr: new PassThrough(),
      env: { DOCKER_CONFIG: join(dir, 'no-docker-config'), ...options.env },
      cwd: dir,
      lookup: testLookup,
    },
  );
  const client = apiserverClient(serve.port, await readFile(serve.caPath ?? '', 'utf8'));
  return {
    serve,
    client,
    dir,
    async close() {
      client.close();
      await serve.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * For a test file judging real images: registers before/after hooks that start the seeded test registry
 * (test/support/seeded.ts) and a server under `policy`, and stop them.
 */
export function imageTestServer(policy: string): { server(): TestServer; registry(): SeededRegistry } {
  let server: TestServer | undefined;
  let registry: SeededRegistry | undefined;
  before(async () => {
    registry = await testRegistryWithImages();
    server = await startTestServer({ policy, logLevel: 'warn' });
  });
  after(async () => {
    await server?.close();
    await registry?.registry?.stop();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('imageTestServer: used before its before() hook ran');
    return value;
  };
  return { server: () => started(server), registry: () => started(registry) };
}
