/**
 * Registry credentials from docker `config.json`, containers `auth.json` and Kubernetes pull secrets (the files are
 * read by credentials-files.ts, helpers run by credentials-helper.ts), keys matched the way kubelet's
 * credentialprovider keyring does: keys may carry a scheme, a `/v1/` or `/v2/` suffix, a path prefix, a port, and
 * globs per host label (`*.example.com`); the most specific key (reverse-sorted) wins; Docker Hub's historical keys
 * (`https://index.docker.io/v1/`, `index.docker.io`, `registry-1.docker.io`) all mean `docker.io`.
 * Credentials never appear in messages. Globs are matched without regular expressions (shared/wildcard.ts): a pull
 * secret is anyone's input, and a backtracking RegExp of `************z.example` blocked the event loop for 27 s.
 */
import { compileWildcard, type WildcardMatcher } from '../../shared/wildcard.js';
import { IDENTITY_TOKEN_USERNAME, type CredentialLookup, type RegistryCredential } from '../inspector-types.js';
import { DOCKER_HUB } from '../reference/reference.js';

export class CredentialsError extends Error {
  override readonly name = 'CredentialsError';
  /** For the operator (log, CLI): what the helper wrote on stderr; never what it wrote on stdout (the secret). */
  readonly detail: string | undefined;
  constructor(
    readonly code: 'invalid-config' | 'unreadable' | 'helper-failed',
    message: string,
    options?: { cause?: unknown; detail?: string },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.detail = options?.detail;
  }
}

interface KeyEntry {
  /** Whether a registry host (lowercased, with its port if any) is the key's: "*.example.com", "gcr.io:443". */
  readonly matchesHost: (host: string) => boolean;
  /** Path prefix without leading slash ("" for the whole host). */
  readonly path: string;
  readonly key: string;
  readonly credential: RegistryCredential;
}

/**
 * A longer docker config key is no registry (a host name is at most 253 characters, a port 6 more, and kubelet keys
 * are a host and a short path prefix): it is ignored rather than matched.
 */
export const MAX_KEY_LENGTH = 512;
/** A DNS name (253) with ":" and a port (6): a longer registry host matches no key. */
export const MAX_HOST_LENGTH = 253 + 6;

const DOCKER_HUB_ALIASES = new Set(['index.docker.io', 'registry-1.docker.io', DOCKER_HUB]);

/** Parses the text of a docker config.json (`{"auths": {...}}`) or a legacy .dockercfg (the auths map itself). */
export function parseDockerConfig(text: string, source = 'docker config'): Map<string, RegistryCredential> {
  const doc = parseObject(text, source);
  return authsOf('auths' in doc ? doc['auths'] : doc, source, false);
}

function parseObject(text: string, source: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new CredentialsError('invalid-config', `${source} is not valid JSON`, { cause: err });
  }
  if (!isRecord(doc)) throw new CredentialsError('invalid-config', `${source} is not a JSON object`);
  return doc;
}

/**
 * `identityTokens`: docker's CLI sends an entry's `identitytoken` instead of its password; the kubelet reads only
 * username, password and auth from pull secrets, so they keep that.
 */
function authsOf(auths: unknown, source: string, identityTokens: boolean): Map<string, RegistryCredential> {
  if (auths === undefined || auths === null) return new Map();
  if (!isRecord(auths)) throw new CredentialsError('invalid-config', `${source}: "auths" is not an object`);
  const out = new Map<string, RegistryCredential>();
  for (const [key, entry] of Object.entries(auths)) {
    if (!isRecord(entry)) continue;
    const cred = credentialOf(entry, key, source, identityTokens);
    if (cred !== undefined) out.set(key, cred);
  }
  return out;
}

function credentialOf(entry: Record<string, unknown>, key: string, source: string, identityTokens: boolean): RegistryCredential | undefined {
  const { username, password, auth, identitytoken } = entry;
  if (identityTokens && typeof identitytoken === 'string' && identitytoken !== '') return { username: IDENTITY_TOKEN_USERNAME, password: identitytoken };
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
  return undefined; // an empty entry: docker writes `"host": {}` for hosts whose credentials a helper keeps
}

/** A docker config.json or containers auth.json: its `auths`, and the credential helpers it names. */
export interface CredentialsFile {
  readonly auths: ReadonlyMap<string, RegistryCredential>;
  /** Registry host (as written) → helper name: `docker-credential-<name>`. */
  readonly credHelpers: ReadonlyMap<string, string>;
  /** docker's default helper for every host without its own (`credsStore`). */
  readonly credsStore: string | undefined;
}

/** Parses a docker config.json or a containers auth.json (containers-auth.json(5): the same `auths` and `credHelpers`). */
export function parseCredentialsFile(text: string, source: string): CredentialsFile {
  const doc = parseObject(text, source);
  const auths = authsOf(doc['auths'], source, true);
  const credHelpers = new Map<string, string>();
  const helpers = doc['credHelpers'];
  if (helpers !== undefined && helpers !== null) {
    if (!isRecord(helpers)) throw new CredentialsError('invalid-config', `${source}: "credHelpers" is not an object`);
    for (const [host, name] of Object.entries(helpers)) {
      if (typeof name !== 'string' || !isHelperName(name)) throw new CredentialsError('invalid-config', `${source}: the credential helper of ${JSON.stringify(host)} is not a helper name`);
      credHelpers.set(host, name);
    }
  }
  const store = doc['credsStore'];
  if (store !== undefined && store !== null && store !== '' && (typeof store !== 'string' || !isHelperName(store))) {
    throw new CredentialsError('invalid-config', `${source}: "credsStore" is not a helper name`);
  }
  return { auths, credHelpers, credsStore: typeof store === 'string' && store !== '' ? store : undefined };
}

/**
 * A helper runs as `docker-credential-<name>` found on PATH: a name with a slash (or `..`) would run another file.
 * Docker's own helpers are named like `ecr-login`, `gcloud`, `acr-env`, `desktop`, `pass`, `secretservice`.
 */
export function isHelperName(name: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name) && !name.includes('..');
}

/** A docker config key as a registry host (`https://index.docker.io/v1/` → docker.io, `gcr.io:443`); undefined if none. */
export function keyHost(raw: string): string | undefined {
  return parseKey(raw)?.host;
}

/**
 * kubelet's URLsMatchStr for one glob of a credential provider's `matchImages` (the keyring's matching): the same
 * number of host labels, each a filepath.Match glob, the same port, and the glob's path a prefix of the repository.
 * Undefined for a glob that names no host.
 */
export function compileImageMatcher(glob: string): ((host: string, repository: string) => boolean) | undefined {
  const parsed = parseKey(glob);
  if (parsed === undefined || parsed.host === '') return undefined;
  const matchesHost = hostMatcher(parsed.host);
  return (host, repository) => host.length <= MAX_HOST_LENGTH && matchesHost(normaliseHost(host)) && repository.startsWith(parsed.path);
}

/** Builds a lookup over one or more credential maps (earlier maps win on identical keys). */
export function createCredentialLookup(...maps: ReadonlyArray<ReadonlyMap<string, RegistryCredential>>): CredentialLookup {
  const byKey = new Map<string, KeyEntry>();
  for (const map of maps) {
    for (const [raw, credential] of map) {
      const parsed = parseKey(raw);
      if (parsed === undefined || byKey.has(parsed.key)) continue;
      byKey.set(parsed.key, { matchesHost: hostMatcher(parsed.host), path: parsed.path, key: parsed.key, credential });
    }
  }
  // kubelet: reverse-sorted so "quay.io/coreos" is tried before "quay.io".
  const entries = [...byKey.values()].sort((a, b) => (a.key < b.key ? 1 : a.key > b.key ? -1 : 0));
  return (registryHost, repository) => {
    if (registryHost.length > MAX_HOST_LENGTH) return undefined;
    const host = normaliseHost(registryHost);
    for (const entry of entries) {
      if (entry.matchesHost(host) && repository.startsWith(entry.path)) return entry.credential;
    }
    return undefined;
  };
}

/**
 * A lookup over containers auth.json keys (containers-auth.json(5)): `registry[/namespace…]`, matched whole from
 * the most specific (`host/team/app`, then `host/team`, then `host`); no globs. A key written as a URL
 * (`https://host/v1/`) is legacy docker style and names the whole host, as containers/image reads it.
 */
export function createNamespaceLookup(auths: ReadonlyMap<string, RegistryCredential>): CredentialLookup {
  const byKey = new Map<string, RegistryCredential>();
  for (const [raw, credential] of auths) {
    const key = namespaceKey(raw);
    if (key !== undefined && !byKey.has(key)) byKey.set(key, credential);
  }
  return (registryHost, repository) => {
    if (registryHost.length > MAX_HOST_LENGTH || repository.length > MAX_KEY_LENGTH) return undefined;
    let name = repository === '' ? normaliseHost(registryHost) : `${normaliseHost(registryHost)}/${repository}`;
    for (;;) {
      const credential = byKey.get(name);
      if (credential !== undefined) return credential;
      const slash = name.lastIndexOf('/');
      if (slash === -1) return undefined;
      name = name.slice(0, slash);
    }
  };
}

function namespaceKey(raw: string): string | undefined {
  if (raw.length > MAX_KEY_LENGTH) return undefined;
  const stripped = raw.trim().replace(/^https?:\/\//i, '');
  const legacy = stripped !== raw.trim();
  const slash = stripped.indexOf('/');
  const host = normaliseHost(slash === -1 ? stripped : stripped.slice(0, slash));
  if (host === '') return undefined;
  const path = legacy || slash === -1 ? '' : trimSlashes(stripped.slice(slash));
  return path === '' ? host : `${host}/${path}`;
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

/** The Secret types the kubelet reads pull credentials from, and the data key of each. */
const PULL_SECRET_KEYS: Readonly<Record<string, string>> = {
  'kubernetes.io/dockerconfigjson': '.dockerconfigjson',
  'kubernetes.io/dockercfg': '.dockercfg',
};

/**
 * A lookup from Kubernetes pull secrets, read as the kubelet reads them: only Secrets of type
 * `kubernetes.io/dockerconfigjson` or `kubernetes.io/dockercfg` (data base64). A Secret of another type, or one
 * whose content is not a docker config, is skipped (`onSkipped` says why) and the rest still serve.
 */
export function credentialLookupFromSecrets(
  secrets: ReadonlyArray<{ readonly type?: string; readonly data?: Readonly<Record<string, string>> | undefined; readonly name?: string }>,
  onSkipped: (secret: string, reason: string) => void = () => undefined,
): CredentialLookup {
  const maps: Array<Map<string, RegistryCredential>> = [];
  for (const secret of secrets) {
    const name = secret.name ?? '(unnamed)';
    const key = secret.type === undefined ? undefined : PULL_SECRET_KEYS[secret.type];
    if (key === undefined) {
      onSkipped(name, `type ${secret.type ?? '(none)'} is not kubernetes.io/dockerconfigjson or kubernetes.io/dockercfg`);
      continue;
    }
    const encoded = secret.data?.[key];
    if (encoded === undefined) {
      onSkipped(name, `it has no ${key} key`);
      continue;
    }
    try {
      maps.push(parseDockerConfig(Buffer.from(encoded, 'base64').toString('utf8'), `pull secret ${name}`));
    } catch (err) {
      onSkipped(name, err instanceof Error ? err.message : String(err));
    }
  }
  return createCredentialLookup(...maps);
}

function parseKey(raw: string): { host: string; path: string; key: string } | undefined {
  if (raw.length > MAX_KEY_LENGTH) return undefined;
  let rest = raw.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  if (rest === '') return undefined;
  const slash = rest.indexOf('/');
  let host = (slash === -1 ? rest : rest.slice(0, slash)).toLowerCase();
  rest = slash === -1 ? '' : rest.slice(slash);
  // docker treats /v1/ and /v2/ as the host itself.
  if (rest.startsWith('/v1/') || rest.startsWith('/v2/') || rest === '/v1' || rest === '/v2') rest = rest.slice(3);
  const path = trimSlashes(rest);
  host = normaliseHost(host);
  return { host, path, key: path === '' ? host : `${host}/${path}` };
}

/** Without leading and trailing slashes (a loop: `/\/+$/` is quadratic on a long run of slashes). */
function trimSlashes(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && text[start] === '/') start++;
  while (end > start && text[end - 1] === '/') end--;
  return text.slice(start, end);
}

function normaliseHost(host: string): string {
  const lower = host.toLowerCase();
  return DOCKER_HUB_ALIASES.has(lower) ? DOCKER_HUB : lower;
}

/**
 * kubelet's URLsMatch, compiled once per key: same port, same number of labels, each label matched as a
 * filepath.Match glob (a malformed one matches nothing, as kubelet skips the key).
 */
function hostMatcher(glob: string): (host: string) => boolean {
  const [globName, globPort] = splitPort(glob);
  const labels: WildcardMatcher[] = globName.split('.').map((label) => compileWildcard(label, 'filepath'));
  return (host) => {
    const [name, port] = splitPort(host);
    if (port !== globPort) return false;
    const parts = name.split('.');
    return parts.length === labels.length && labels.every((matches, i) => matches(parts[i] ?? ''));
  };
}

/** "host:5000" → ["host", "5000"]: the port is the digits after the last colon, if that is all that follows it. */
export function splitPort(host: string): [name: string, port: string] {
  const colon = host.lastIndexOf(':');
  if (colon === -1 || colon === host.length - 1) return [host, ''];
  for (let i = colon + 1; i < host.length; i++) {
    const c = host.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return [host, ''];
  }
  return [host.slice(0, colon), host.slice(colon + 1)];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
