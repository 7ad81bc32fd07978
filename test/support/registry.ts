/**
 * A real registry for tests: Debian's docker-registry (distribution v2.8.2) on 127.0.0.1 with its storage in a temp
 * dir, behind the counting proxy. Auth is none, basic (htpasswd, bcrypt via `htpasswd -B`), or token (the real
 * Docker token flow against our token server). Installed by scripts/test-deps.sh.
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { trackChild, trackDir, untrackChild, untrackDir } from './cleanup.js';
import { startCountingProxy } from './counting-proxy.js';
import type { CountingProxy, RequestFilter, RequestLog } from './counting-proxy.js';
import { freePort, waitForHttp } from './net.js';
import { startTokenServer } from './token-server.js';
import type { Credentials, TokenServer } from './token-server.js';

export type { Credentials } from './token-server.js';

export type RegistryAuth = 'none' | 'basic' | 'token';

export interface RegistryOptions {
  readonly auth?: RegistryAuth;
  /** Default for basic/token: a fixed user with a random password. */
  readonly credentials?: Credentials;
  /** token auth: repositories anonymous callers may pull (default: names starting with "public/"). */
  readonly isPublic?: RegExp | ((repository: string) => boolean);
  /** token auth: leave `expires_in` out of token answers. */
  readonly omitExpiresIn?: boolean;
  /** token auth: token lifetime in seconds (default 300). */
  readonly tokenTtlSeconds?: number;
  /** token auth: an identity token the token server exchanges (OAuth2 refresh_token grant) for the user's tokens. */
  readonly refreshToken?: string;
}

export interface TestRegistry {
  /** "127.0.0.1:PORT" of the counting proxy: what clients should use. */
  readonly host: string;
  /** "http://" + host */
  readonly url: string;
  /** The registry itself, bypassing the proxy. */
  readonly directHost: string;
  readonly auth: RegistryAuth;
  /** Present for basic and token auth: the one user that may push and pull everything. */
  readonly credentials?: Credentials;
  readonly proxy: CountingProxy;
  /** Present for token auth. */
  readonly tokenServer?: TokenServer;
  /** Requests seen by the proxy. */
  requests(filter?: RequestFilter): readonly RequestLog[];
  /**
   * Lets the process exit while the registry runs (for one shared per process, as seeded.ts keeps): the registry
   * is then killed and its storage removed at exit.
   */
  unref(): void;
  stop(): Promise<void>;
}

const REGISTRY_BINARY = '/usr/bin/docker-registry';

function authConfig(auth: RegistryAuth, dir: string, credentials: Credentials, token?: TokenServer): string {
  switch (auth) {
    case 'none':
      return '';
    case 'basic': {
      const line = execFileSync('htpasswd', ['-Bbn', credentials.username, credentials.password], {
        encoding: 'utf8',
      }).trim();
      const path = join(dir, 'htpasswd');
      writeFileSync(path, line + '\n', { mode: 0o600 });
      return `auth:\n  htpasswd:\n    realm: dg-test-basic\n    path: ${path}\n`;
    }
    case 'token': {
      if (token === undefined) throw new Error('token auth needs a token server');
      const bundle = join(dir, 'token-root.pem');
      writeFileSync(bundle, token.certificatePem, { mode: 0o600 });
      return (
        `auth:\n  token:\n    realm: ${token.realm}\n    service: ${token.service}\n` +
        `    issuer: ${token.issuer}\n    rootcertbundle: ${bundle}\n`
      );
    }
  }
}

function registryConfig(port: number, storage: string, auth: string): string {
  return `version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: ${storage}
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:${port}
  secret: ${randomBytes(16).toString('hex')}
${auth}`;
}

/** The registry's own environment overrides config (REGISTRY_HTTP_ADDR …): keep the caller's out. */
function registryEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('REGISTRY_')));
}

interface RunningRegistry {
  readonly child: ChildProcess;
  readonly port: number;
}

async function launch(dir: string, auth: string): Promise<RunningRegistry> {
  const port = await freePort();
  const configPath = join(dir, `config-${port}.yml`);
  writeFileSync(configPath, registryConfig(port, join(dir, 'storage'), auth));
  // setpriv --pdeathsig: the registry dies with the test process even when that is SIGKILLed.
  const child = spawn('setpriv', ['--pdeathsig', 'SIGKILL', REGISTRY_BINARY, 'serve', configPath], {
    env: registryEnv(),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  trackChild(child);
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  let exited: string | null = null;
  child.once('exit', (code, signal) => {
    exited = `exited (${code ?? signal})`;
  });
  child.once('error', (error) => {
    exited = `failed to start: ${error.message}`;
  });
  try {
    await waitForHttp(`http://127.0.0.1:${port}/v2/`, [200, 401], {
      timeoutMs: 15_000,
      check: () => {
        if (exited !== null) throw new Error(`docker-registry ${exited}: ${stderr}`);
      },
    });
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return { child, port };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
  untrackChild(child);
}

const DIR_PREFIX = 'dg-registry-';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Storage left by test processes that were SIGKILLed (their registry died with them through pdeathsig). */
function sweepStaleDirs(): void {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(DIR_PREFIX)) continue;
    const dir = join(tmpdir(), name);
    try {
      const owner = Number(readFileSync(join(dir, 'owner.pid'), 'utf8'));
      if (Number.isInteger(owner) && owner > 0 && !alive(owner)) rmSync(dir, { recursive: true, force: true });
    } catch {
      // No owner file (being created, or not ours): leave it.
    }
  }
}

export async function startRegistry(options: RegistryOptions = {}): Promise<TestRegistry> {
  const auth = options.auth ?? 'none';
  const generated = { username: 'dg-tester', password: randomBytes(12).toString('hex') };
  const credentials = auth === 'none' ? undefined : (options.credentials ?? generated);
  sweepStaleDirs();
  const dir = mkdtempSync(join(tmpdir(), DIR_PREFIX));
  trackDir(dir);
  writeFileSync(join(dir, 'owner.pid'), String(process.pid));
  let tokenServer: TokenServer | undefined;
  let running: RunningRegistry | undefined;
  let proxy: CountingProxy | undefined;
  try {
    if (auth === 'token' && credentials !== undefined) {
      tokenServer = await startTokenServer({
        credentials,
        ...(options.isPublic === undefined ? {} : { isPublic: options.isPublic }),
        ...(options.omitExpiresIn === undefined ? {} : { omitExpiresIn: options.omitExpiresIn }),
        ...(options.tokenTtlSeconds === undefined ? {} : { ttlSeconds: options.tokenTtlSeconds }),
        ...(options.refreshToken === undefined ? {} : { refreshToken: options.refreshToken }),
      });
    }
    const authYaml = authConfig(auth, dir, credentials ?? { username: '', password: '' }, tokenServer);
    // A port picked by freePort() can be taken before the registry binds it: try a few times.
    for (let attempt = 1; running === undefined; attempt++) {
      try {
        running = await launch(dir, authYaml);
      } catch (error) {
        if (attempt >= 3) throw error;
      }
    }
    proxy = await startCountingProxy(`127.0.0.1:${running.port}`);
  } catch (error) {
    if (running !== undefined) await stopChild(running.child);
    await tokenServer?.stop();
    rmSync(dir, { recursive: true, force: true });
    untrackDir(dir);
    throw error;
  }
  const { child, port } = running;
  const front = proxy;
  let stopped: Promise<void> | undefined;
  return {
    host: front.host,
    url: front.url,
    directHost: `127.0.0.1:${port}`,
    auth,
    ...(credentials === undefined ? {} : { credentials }),
    proxy: front,
    ...(tokenServer === undefined ? {} : { tokenServer }),
    requests: (filter) => front.requests(filter),
    unref() {
      child.unref();
      (child.stderr as Socket | null)?.unref();
      front.unref();
      tokenServer?.unref();
    },
    stop() {
      stopped ??= (async () => {
        await front.stop();
        await stopChild(child);
        await tokenServer?.stop();
        rmSync(dir, { recursive: true, force: true });
        untrackDir(dir);
      })();
      return stopped;
    },
  };
}
