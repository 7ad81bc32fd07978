/**
 * The kubelet's credential provider plugins (KEP-2133; pkg/credentialprovider/plugin/plugin.go), run as the kubelet
 * runs them so that ECR, GCR, ACR and any other provider work by pointing the guard at the same config and binaries:
 *
 * - A provider is asked only for an image matching one of its `matchImages` (kubelet's URLsMatchStr), with the image
 *   as the kubelet names it (`registry/repository`, no tag); every matching provider is asked, and the keys of their
 *   answers are combined, an earlier provider winning on an identical key.
 * - Exec: `<bin-dir>/<name> args…`, environment = the guard's plus the provider's `env`, stdin
 *   `{"apiVersion", "kind": "CredentialProviderRequest", "image"}`, stdout a `CredentialProviderResponse` of the same
 *   apiVersion: `cacheKeyType` Image|Registry|Global, `cacheDuration`, `auth` {glob: {username, password}} (globs
 *   matched as pull-secret keys are). At most 1 minute (the kubelet's catch-all timeout).
 * - Cache: an answer is kept under the image, its registry (the text before the first "/") or one global key, as
 *   its cacheKeyType says, for its cacheDuration (absent: the provider's defaultCacheDuration; 0: not kept), and
 *   looked up in that order. Concurrent asks share one run: keyed by the image until the provider has answered once,
 *   then by the key its answers are cached under (so ten images of one registry wait for one run, not ten).
 * - A provider that fails (not found, times out, exits non-zero, prints something that is no response) gives nothing
 *   for that image, as the kubelet logs and goes on; `onError` names it. Its output never reaches a message.
 *
 * Why every pod may use these credentials: docs/security-model.md ("Credential provider plugins").
 */
import { constants } from 'node:fs';
import { access, readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { SingleFlight } from '../cache/single-flight.js';
import type { CredentialLookup, CredentialSource, CredentialTarget, RegistryCredential } from '../inspector-types.js';
import { parseGoDuration } from '../../shared/duration.js';
import { Limiter } from '../../shared/limiter.js';
import { compileImageMatcher, createCredentialLookup, CredentialsError } from './credentials.js';
import { ExecError, firstLine, runCredentialProgram } from './credentials-exec.js';
import { mergeCredentialProviderConfigs, parseCredentialProviderConfig, type CredentialProviderConfig, type CredentialProviderSpec } from './credentials-provider-config.js';

export type CacheKeyType = 'Image' | 'Registry' | 'Global';

export interface ProviderResponse {
  readonly cacheKeyType: CacheKeyType;
  /** Absent: the provider's defaultCacheDuration applies. */
  readonly cacheDurationMs: number | undefined;
  /** glob → credential, as written. */
  readonly auth: ReadonlyMap<string, RegistryCredential>;
}

export interface CredentialProvidersOptions {
  readonly providers: readonly CredentialProviderSpec[];
  /** Where the executables are (`--image-credential-provider-bin-dir`). */
  readonly binDir: string;
  /** The guard's environment, which the providers' `env` extends (as the kubelet passes os.Environ()). */
  readonly env: NodeJS.ProcessEnv;
  /** One run's limit (default 60 s, the kubelet's). */
  readonly timeoutMs?: number;
  readonly now?: () => number;
  /** A provider failed for an image (it then gives nothing for it). */
  readonly onError?: (provider: string, image: string, error: CredentialsError) => void;
}

export const DEFAULT_PROVIDER_TIMEOUT_MS = 60_000;
/** A response is a few keys; a provider printing more is broken. */
const MAX_RESPONSE_BYTES = 1024 * 1024;
const MAX_AUTH_KEYS = 1_000;
/**
 * Plugin processes at once, across providers: image names are the pods' (anyone's), and each new name matching a
 * provider with Image-keyed answers is a run; the kubelet pulls one image at a time by default (serializeImagePulls).
 */
const MAX_RUNNING = 4;
/** Cached answers per provider; past it the expired go, then the oldest (the kubelet purges expired every 15 min). */
const MAX_CACHED = 10_000;

export function createCredentialProviders(options: CredentialProvidersOptions): CredentialSource {
  const running = new Limiter(MAX_RUNNING);
  const providers = options.providers.map((spec) => new Provider(spec, options, running));
  const matching = (target: CredentialTarget): Provider[] => {
    const slash = target.image.indexOf('/');
    const host = slash === -1 ? target.image : target.image.slice(0, slash);
    const repository = slash === -1 ? '' : target.image.slice(slash + 1);
    return providers.filter((p) => p.matches(host, repository));
  };
  const lookupOf = (auths: readonly ReadonlyMap<string, RegistryCredential>[]): CredentialLookup | undefined =>
    auths.some((a) => a.size > 0) ? createCredentialLookup(...auths) : undefined;
  return {
    async resolve(target, signal) {
      const asked = matching(target);
      if (asked.length === 0) return undefined;
      return lookupOf(await Promise.all(asked.map((p) => p.provide(target.image, signal))));
    },
    peek(target) {
      const auths: ReadonlyMap<string, RegistryCredential>[] = [];
      for (const provider of matching(target)) {
        const cached = provider.cached(target.image);
        if (cached === undefined) return undefined;
        auths.push(cached);
      }
      return { lookup: lookupOf(auths) };
    },
  };
}

class Provider {
  private readonly matchers: ((host: string, repository: string) => boolean)[];
  private readonly cache = new Map<string, { auth: ReadonlyMap<string, RegistryCredential>; expiresAt: number }>();
  private readonly flights: SingleFlight<ReadonlyMap<string, RegistryCredential>>;
  /** What the provider's answers were cached under last time: what concurrent asks share a run by. */
  private lastKeyType: CacheKeyType = 'Image';
  private readonly now: () => number;
  private readonly timeoutMs: number;

  constructor(
    readonly spec: CredentialProviderSpec,
    private readonly options: CredentialProvidersOptions,
    private readonly running: Limiter,
  ) {
    this.matchers = spec.matchImages.flatMap((glob) => compileImageMatcher(glob) ?? []);
    this.now = options.now ?? Date.now;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_PROVIDER_TIMEOUT_MS;
    // A run goes on when its callers gave up (bounded by its timeout): the next admission finds its answer cached.
    this.flights = new SingleFlight(this.timeoutMs);
  }

  matches(host: string, repository: string): boolean {
    return this.matchers.some((m) => m(host, repository));
  }

  /** The fresh cached answer for an image: under the image, else its registry, else the global key. */
  cached(image: string): ReadonlyMap<string, RegistryCredential> | undefined {
    for (const key of [cacheKey('Image', image), cacheKey('Registry', image), cacheKey('Global', image)]) {
      const hit = this.cache.get(key);
      if (hit === undefined) continue;
      if (hit.expiresAt > this.now()) return hit.auth;
      this.cache.delete(key);
    }
    return undefined;
  }

  /** The provider's answer for an image (empty when it has none or failed); rejects only when `signal` fires. */
  async provide(image: string, signal: AbortSignal): Promise<ReadonlyMap<string, RegistryCredential>> {
    const hit = this.cached(image);
    if (hit !== undefined) return hit;
    try {
      return await this.flights.run(cacheKey(this.lastKeyType, image), signal, async (control) => this.cached(image) ?? this.store(image, await this.exec(image, control.signal)));
    } catch (err) {
      if (signal.aborted) throw err;
      this.options.onError?.(this.spec.name, image, err instanceof CredentialsError ? err : new CredentialsError('helper-failed', `credential provider ${this.spec.name} failed`, { cause: err }));
      return new Map();
    }
  }

  private store(image: string, response: ProviderResponse): ReadonlyMap<string, RegistryCredential> {
    this.lastKeyType = response.cacheKeyType;
    const ttl = response.cacheDurationMs ?? this.spec.defaultCacheDurationMs;
    if (ttl > 0) {
      if (this.cache.size >= MAX_CACHED) this.purge();
      this.cache.set(cacheKey(response.cacheKeyType, image), { auth: response.auth, expiresAt: this.now() + ttl });
    }
    return response.auth;
  }

  private purge(): void {
    const now = this.now();
    for (const [key, entry] of this.cache) if (entry.expiresAt <= now) this.cache.delete(key);
    for (const key of this.cache.keys()) {
      if (this.cache.size < MAX_CACHED) break;
      this.cache.delete(key);
    }
  }

  private async exec(image: string, signal: AbortSignal): Promise<ProviderResponse> {
    const { name, apiVersion, args, env } = this.spec;
    const request = JSON.stringify({ apiVersion, kind: 'CredentialProviderRequest', image });
    let result;
    const release = await this.running.acquire(signal);
    try {
      result = await runCredentialProgram({
        file: join(this.options.binDir, name),
        args,
        stdin: request,
        env: { ...this.options.env, ...Object.fromEntries(env.map((v) => [v.name, v.value])) },
        timeoutMs: this.timeoutMs,
        maxStdoutBytes: MAX_RESPONSE_BYTES,
        signal,
      });
    } catch (err) {
      const what = err instanceof ExecError ? err.message : String(err);
      throw new CredentialsError('helper-failed', `credential provider ${name} ${what}`, { cause: err, ...(err instanceof ExecError && err.stderr !== '' ? { detail: firstLine(err.stderr) } : {}) });
    } finally {
      release();
    }
    if (result.exitCode !== 0) {
      throw new CredentialsError('helper-failed', `credential provider ${name} exited with status ${result.exitCode}`, result.stderr === '' ? undefined : { detail: firstLine(result.stderr) });
    }
    return parseProviderResponse(result.stdout.toString('utf8'), apiVersion, name);
  }
}

/**
 * Reads `--image-credential-provider-config` (a file, or as newer kubelets a directory whose *.json, *.yaml and *.yml
 * files are read in name order) and checks, as the kubelet does at start, that the bin dir exists and holds an
 * executable for every provider. Any problem is a CredentialsError naming the file.
 */
export async function loadCredentialProviderConfig(configPath: string, binDir: string, signal: AbortSignal): Promise<CredentialProviderConfig> {
  const read = async (path: string): Promise<string> => {
    try {
      return await readFile(path, { encoding: 'utf8', signal });
    } catch (err) {
      throw new CredentialsError('unreadable', `cannot read the credential provider config ${path}`, { cause: err });
    }
  };
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(configPath)).isDirectory();
  } catch (err) {
    throw new CredentialsError('unreadable', `cannot read the credential provider config ${configPath}`, { cause: err });
  }
  let config: CredentialProviderConfig;
  if (isDirectory) {
    const names = (await readdir(configPath)).filter((n) => ['.json', '.yaml', '.yml'].includes(extname(n))).sort();
    if (names.length === 0) throw new CredentialsError('invalid-config', `${configPath} holds no *.json, *.yaml or *.yml credential provider config`);
    const configs = [];
    for (const name of names) {
      const path = join(configPath, name);
      configs.push({ source: path, config: parseCredentialProviderConfig(await read(path), path) });
    }
    config = mergeCredentialProviderConfigs(configs);
  } else config = parseCredentialProviderConfig(await read(configPath), configPath);
  try {
    if (!(await stat(binDir)).isDirectory()) throw new Error('not a directory');
  } catch (err) {
    throw new CredentialsError('unreadable', `the credential provider bin dir ${binDir} is not a directory`, { cause: err });
  }
  for (const { name } of config.providers) {
    const file = join(binDir, name);
    try {
      await access(file, constants.X_OK);
    } catch (err) {
      throw new CredentialsError('unreadable', `credential provider ${name}: ${file} is not an executable file`, { cause: err });
    }
  }
  return config;
}

/** The key an answer is cached under; tagged, so an image, a registry and the global key never collide. */
export function cacheKey(type: CacheKeyType, image: string): string {
  switch (type) {
    case 'Image':
      return `image:${image}`;
    case 'Registry':
      return `registry:${image.split('/', 1)[0] ?? ''}`;
    case 'Global':
      return 'global';
  }
}

/**
 * A provider's stdout as a CredentialProviderResponse of the apiVersion it was asked with (the kubelet refuses any
 * other). Errors say what is wrong, never what was printed (it may hold credentials).
 */
export function parseProviderResponse(text: string, apiVersion: string, provider: string): ProviderResponse {
  const bad = (what: string): CredentialsError => new CredentialsError('helper-failed', `credential provider ${provider} ${what}`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw bad('did not answer with JSON');
  }
  if (!isRecord(doc)) throw bad('did not answer with a JSON object');
  if (doc['apiVersion'] !== apiVersion) throw bad(`answered apiVersion ${JSON.stringify(doc['apiVersion'] ?? null)}, not ${apiVersion}`);
  if (doc['kind'] !== 'CredentialProviderResponse') throw bad(`answered kind ${JSON.stringify(doc['kind'] ?? null)}, not CredentialProviderResponse`);
  const keyType = doc['cacheKeyType'];
  if (keyType !== 'Image' && keyType !== 'Registry' && keyType !== 'Global') throw bad(`answered cacheKeyType ${JSON.stringify(keyType ?? null)}, not Image, Registry or Global`);
  const duration = doc['cacheDuration'];
  let cacheDurationMs: number | undefined;
  if (duration !== undefined && duration !== null) {
    cacheDurationMs = typeof duration === 'string' ? parseGoDuration(duration) : undefined;
    if (cacheDurationMs === undefined) throw bad('answered a cacheDuration that is not a duration like 12h0m0s');
    cacheDurationMs = Math.max(0, cacheDurationMs);
  }
  const auth = new Map<string, RegistryCredential>();
  const entries = doc['auth'] ?? {};
  if (!isRecord(entries)) throw bad('answered an auth that is not an object');
  for (const [glob, entry] of Object.entries(entries)) {
    if (auth.size >= MAX_AUTH_KEYS) throw bad(`answered more than ${MAX_AUTH_KEYS} auth keys`);
    if (!isRecord(entry) || typeof entry['username'] !== 'string' || typeof entry['password'] !== 'string') {
      throw bad(`answered an auth entry without a username and password string`);
    }
    auth.set(glob, { username: entry['username'], password: entry['password'] });
  }
  return { cacheKeyType: keyType, cacheDurationMs, auth };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
