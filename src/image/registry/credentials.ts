/**
 * Registry credentials from docker `config.json` and Kubernetes pull secrets, matched the way kubelet's
 * credentialprovider keyring does: keys may carry a scheme, a `/v1/` or `/v2/` suffix, a path prefix, a port, and
 * globs per host label (`*.example.com`); the most specific key (reverse-sorted) wins; Docker Hub's historical keys
 * (`https://index.docker.io/v1/`, `index.docker.io`, `registry-1.docker.io`) all mean `docker.io`.
 * Credentials never appear in messages.
 */
import { readFile } from 'node:fs/promises';
import type { CredentialLookup, RegistryCredential } from '../inspector-types.js';
import { DOCKER_HUB } from '../reference/reference.js';

export class CredentialsError extends Error {
  override readonly name = 'CredentialsError';
  constructor(
    readonly code: 'invalid-config' | 'unreadable',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

interface KeyEntry {
  /** Host part, lowercased, may hold globs: "*.example.com", "gcr.io:443". */
  readonly host: string;
  /** Path prefix without leading slash ("" for the whole host). */
  readonly path: string;
  readonly key: string;
  readonly credential: RegistryCredential;
}

const DOCKER_HUB_ALIASES = new Set(['index.docker.io', 'registry-1.docker.io', DOCKER_HUB]);

/** Parses the text of a docker config.json (`{"auths": {...}}`) or a legacy .dockercfg (the auths map itself). */
export function parseDockerConfig(text: string, source = 'docker config'): Map<string, RegistryCredential> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new CredentialsError('invalid-config', `${source} is not valid JSON`, { cause: err });
  }
  if (!isRecord(doc)) throw new CredentialsError('invalid-config', `${source} is not a JSON object`);
  const auths = 'auths' in doc ? doc['auths'] : doc;
  if (auths === undefined || auths === null) return new Map();
  if (!isRecord(auths)) throw new CredentialsError('invalid-config', `${source}: "auths" is not an object`);
  const out = new Map<string, RegistryCredential>();
  for (const [key, entry] of Object.entries(auths)) {
    if (!isRecord(entry)) continue;
    const cred = credentialOf(entry, key, source);
    if (cred !== undefined) out.set(key, cred);
  }
  return out;
}

function credentialOf(entry: Record<string, unknown>, key: string, source: string): RegistryCredential | undefined {
  const { username, password, auth } = entry;
  if (typeof username === 'string' && typeof password === 'string' && username !== '') {
    return { username, password };
  }
  if (typeof auth === 'string' && auth !== '') {
    const decoded = Buffer.from(auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) {
      throw new CredentialsError('invalid-config', `${source}: the "auth" of ${JSON.stringify(key)} is not base64 of user:password`);
    }
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  return undefined; // identitytoken-only or empty entries: not supported, ignored
}

/** Builds a lookup over one or more credential maps (earlier maps win on identical keys). */
export function createCredentialLookup(...maps: ReadonlyArray<ReadonlyMap<string, RegistryCredential>>): CredentialLookup {
  const byKey = new Map<string, KeyEntry>();
  for (const map of maps) {
    for (const [raw, credential] of map) {
      const parsed = parseKey(raw);
      if (parsed === undefined || byKey.has(parsed.key)) continue;
      byKey.set(parsed.key, { ...parsed, credential });
    }
  }
  // kubelet: reverse-sorted so "quay.io/coreos" is tried before "quay.io".
  const entries = [...byKey.values()].sort((a, b) => (a.key < b.key ? 1 : a.key > b.key ? -1 : 0));
  return (registryHost, repository) => {
    const host = normaliseHost(registryHost);
    for (const entry of entries) {
      if (hostMatches(entry.host, host) && repository.startsWith(entry.path)) return entry.credential;
    }
    return undefined;
  };
}

/** Tries each lookup in order. */
export function chainCredentialLookups(...lookups: ReadonlyArray<CredentialLookup | undefined>): CredentialLookup {
  return (host, repository) => {
    for (const lookup of lookups) {
      const cred = lookup?.(host, repository);
      if (cred !== undefined) return cred;
    }
    return undefined;
  };
}

/** A lookup from Kubernetes pull secrets (`kubernetes.io/dockerconfigjson` or `kubernetes.io/dockercfg`, data base64). */
export function credentialLookupFromSecrets(
  secrets: ReadonlyArray<{ readonly type?: string; readonly data?: Readonly<Record<string, string>> | undefined; readonly name?: string }>,
): CredentialLookup {
  const maps: Array<Map<string, RegistryCredential>> = [];
  for (const secret of secrets) {
    const source = `pull secret ${secret.name ?? '(unnamed)'}`;
    const data = secret.data ?? {};
    const encoded = secret.type === 'kubernetes.io/dockercfg' ? data['.dockercfg'] : data['.dockerconfigjson'];
    if (encoded === undefined) continue;
    maps.push(parseDockerConfig(Buffer.from(encoded, 'base64').toString('utf8'), source));
  }
  return createCredentialLookup(...maps);
}

/** Reads `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`; a missing file means no credentials. */
export async function loadDockerConfigLookup(env: NodeJS.ProcessEnv, signal: AbortSignal): Promise<CredentialLookup> {
  const dir = env['DOCKER_CONFIG'] ?? (env['HOME'] !== undefined ? `${env['HOME']}/.docker` : undefined);
  if (dir === undefined) return () => undefined;
  const path = `${dir}/config.json`;
  let text: string;
  try {
    text = await readFile(path, { encoding: 'utf8', signal });
  } catch (err) {
    if (isRecord(err) && err['code'] === 'ENOENT') return () => undefined;
    throw new CredentialsError('unreadable', `cannot read ${path}`, { cause: err });
  }
  return createCredentialLookup(parseDockerConfig(text, path));
}

function parseKey(raw: string): { host: string; path: string; key: string } | undefined {
  let rest = raw.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  if (rest === '') return undefined;
  const slash = rest.indexOf('/');
  let host = (slash === -1 ? rest : rest.slice(0, slash)).toLowerCase();
  rest = slash === -1 ? '' : rest.slice(slash);
  // docker treats /v1/ and /v2/ as the host itself.
  if (rest.startsWith('/v1/') || rest.startsWith('/v2/') || rest === '/v1' || rest === '/v2') rest = rest.slice(3);
  const path = rest.replace(/^\/+/, '').replace(/\/+$/, '');
  host = normaliseHost(host);
  return { host, path, key: path === '' ? host : `${host}/${path}` };
}

function normaliseHost(host: string): string {
  const lower = host.toLowerCase();
  return DOCKER_HUB_ALIASES.has(lower) ? DOCKER_HUB : lower;
}

/** kubelet URLsMatch: same port, same number of labels, each label matched as a filepath.Match glob. */
function hostMatches(glob: string, host: string): boolean {
  const [globName, globPort] = splitPort(glob);
  const [name, port] = splitPort(host);
  if (globPort !== port) return false;
  const globParts = globName.split('.');
  const parts = name.split('.');
  if (globParts.length !== parts.length) return false;
  return globParts.every((g, i) => globToRegExp(g).test(parts[i] ?? ''));
}

function splitPort(host: string): [string, string] {
  const m = /^(.*?)(?::(\d+))?$/.exec(host);
  return [m?.[1] ?? host, m?.[2] ?? ''];
}

const globCache = new Map<string, RegExp>();
function globToRegExp(glob: string): RegExp {
  let re = globCache.get(glob);
  if (re !== undefined) return re;
  let src = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] ?? '';
    if (c === '*') src += '[^/]*';
    else if (c === '?') src += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end === -1) src += '\\[';
      else {
        const body = glob.slice(i + 1, end).replace(/^\^/, '!');
        src += `[${body.startsWith('!') ? `^${body.slice(1)}` : body}]`.replace(/\\/g, '\\\\');
        i = end;
      }
    } else src += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  re = new RegExp(`^${src}$`);
  globCache.set(glob, re);
  return re;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
