/**
 * Fake credential programs, written by the tests into a temp dir as small /bin/sh scripts (chmod 755): docker
 * credential helpers (`docker-credential-<name> get`) and kubelet credential provider plugins. Each appends what it
 * was asked (stdin, one line per run) to a log the test reads, so a test can count runs and check the request.
 */
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trackDir, untrackDir } from './cleanup.js';

export interface ProgramDir {
  readonly dir: string;
  /** Writes `dir/name` as an executable /bin/sh script with this body. */
  write(name: string, body: string): Promise<string>;
  /** The stdin of each run of the programs that log, in order. */
  asked(log?: string): Promise<string[]>;
  remove(): Promise<void>;
}

export async function programDir(prefix = 'dg-cred-programs-'): Promise<ProgramDir> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  trackDir(dir); // removed at exit even when a test fails half-way
  return {
    dir,
    async write(name, body) {
      const path = join(dir, name);
      await writeFile(path, `#!/bin/sh\n${body}\n`);
      await chmod(path, 0o755);
      return path;
    },
    async asked(log = 'asked.log') {
      try {
        return (await readFile(join(dir, log), 'utf8')).split('\n').filter((line) => line !== '');
      } catch {
        return [];
      }
    },
    async remove() {
      await rm(dir, { recursive: true, force: true });
      untrackDir(dir);
    },
  };
}

/** Shell-quotes a string for a script body. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * A docker credential helper body: logs its stdin (the server URL) to `dir/asked.log`, then prints `answer` (JSON of
 * {ServerURL, Username, Secret}) and exits 0 when asked for `server`, else docker-credential-helpers' "not found".
 */
export function helperBody(dir: string, server: string, username: string, secret: string): string {
  const answer = JSON.stringify({ ServerURL: server, Username: username, Secret: secret });
  return [
    '[ "$1" = get ] || exit 3',
    'read -r url || true',
    `printf '%s\\n' "$url" >> ${shellQuote(join(dir, 'asked.log'))}`,
    `if [ "$url" = ${shellQuote(server)} ]; then printf '%s' ${shellQuote(answer)}; exit 0; fi`,
    "echo 'credentials not found in native keychain'",
    'exit 1',
  ].join('\n');
}

/**
 * A credential provider plugin body: logs its request (one JSON line) to `dir/<log>`, then prints the response
 * in `dir/<response>` (the test writes and rewrites it).
 */
export function providerBody(dir: string, log = 'asked.log', response = 'response.json'): string {
  return [`tr -d '\\n' >> ${shellQuote(join(dir, log))}`, `echo >> ${shellQuote(join(dir, log))}`, `cat ${shellQuote(join(dir, response))}`].join('\n');
}

/** A CredentialProviderResponse v1. */
export function providerResponse(
  cacheKeyType: 'Image' | 'Registry' | 'Global',
  auth: Record<string, { username: string; password: string }>,
  cacheDuration?: string,
): string {
  return JSON.stringify({
    apiVersion: 'credentialprovider.kubelet.k8s.io/v1',
    kind: 'CredentialProviderResponse',
    cacheKeyType,
    ...(cacheDuration === undefined ? {} : { cacheDuration }),
    auth,
  });
}

/** A CredentialProviderConfig naming providers by name, with their matchImages and defaultCacheDuration. */
export function providerConfig(
  providers: readonly { name: string; matchImages: readonly string[]; defaultCacheDuration?: string; args?: readonly string[]; env?: Record<string, string> }[],
): string {
  return JSON.stringify({
    apiVersion: 'kubelet.config.k8s.io/v1',
    kind: 'CredentialProviderConfig',
    providers: providers.map((p) => ({
      name: p.name,
      matchImages: p.matchImages,
      defaultCacheDuration: p.defaultCacheDuration ?? '0s',
      apiVersion: 'credentialprovider.kubelet.k8s.io/v1',
      ...(p.args === undefined ? {} : { args: p.args }),
      ...(p.env === undefined ? {} : { env: Object.entries(p.env).map(([name, value]) => ({ name, value })) }),
    })),
  });
}
