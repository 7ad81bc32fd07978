/**
 * The kubelet's `CredentialProviderConfig` (kubelet.config.k8s.io/v1, `--image-credential-provider-config`), read
 * as the kubelet validates it (pkg/credentialprovider/plugin/config.go), so the guard runs the same file the nodes
 * run: providers[] with a `name` (the executable in the bin dir: no "/", no spaces, not "." or ".."), `matchImages`
 * (at least one), `defaultCacheDuration` (required, ≥ 0), `apiVersion` of the exec protocol, `args` and `env`.
 * A provider in service-account-token mode (`tokenAttributes`) needs a token bound to the pod being pulled for,
 * which the guard cannot have at admission: it is left out, with the reason, and the others serve.
 */
import { parse as parseYaml } from 'yaml';
import { parseGoDuration } from '../../shared/duration.js';
import { compileImageMatcher, CredentialsError, MAX_KEY_LENGTH } from './credentials.js';

export interface CredentialProviderSpec {
  readonly name: string;
  readonly matchImages: readonly string[];
  readonly defaultCacheDurationMs: number;
  /** The exec protocol's apiVersion: credentialprovider.kubelet.k8s.io/v1 (v1beta1, v1alpha1 still accepted). */
  readonly apiVersion: string;
  readonly args: readonly string[];
  readonly env: readonly { readonly name: string; readonly value: string }[];
}

export interface CredentialProviderConfig {
  readonly providers: readonly CredentialProviderSpec[];
  /** Providers the guard cannot run, and why. */
  readonly skipped: readonly { readonly name: string; readonly reason: string }[];
}

export const PROVIDER_API_VERSIONS: ReadonlySet<string> = new Set([
  'credentialprovider.kubelet.k8s.io/v1',
  'credentialprovider.kubelet.k8s.io/v1beta1',
  'credentialprovider.kubelet.k8s.io/v1alpha1',
]);
const CONFIG_GROUP = 'kubelet.config.k8s.io';

/** Parses one config file (YAML or JSON); every problem is a CredentialsError naming the file and the field. */
export function parseCredentialProviderConfig(text: string, source: string): CredentialProviderConfig {
  const bad = (message: string): CredentialsError => new CredentialsError('invalid-config', `${source}: ${message}`);
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new CredentialsError('invalid-config', `${source} is not YAML or JSON`, { cause: err });
  }
  if (!isRecord(doc)) throw bad('not a CredentialProviderConfig object');
  if (doc['kind'] !== 'CredentialProviderConfig') throw bad(`kind is ${JSON.stringify(doc['kind'] ?? null)}, not CredentialProviderConfig`);
  const apiVersion = doc['apiVersion'];
  if (typeof apiVersion !== 'string' || !apiVersion.startsWith(`${CONFIG_GROUP}/`)) throw bad(`apiVersion ${JSON.stringify(apiVersion ?? null)} is not ${CONFIG_GROUP}/v1`);
  const list = doc['providers'];
  if (!Array.isArray(list) || list.length === 0) throw bad('providers: at least one provider is required');
  const providers: CredentialProviderSpec[] = [];
  const skipped: { name: string; reason: string }[] = [];
  const names = new Set<string>();
  for (const [i, item] of list.entries()) {
    const at = `providers[${i}]`;
    if (!isRecord(item)) throw bad(`${at} is not an object`);
    const name = item['name'];
    if (typeof name !== 'string' || name === '') throw bad(`${at}.name is required`);
    if (name.includes('/') || name.includes(' ') || name === '.' || name === '..') throw bad(`${at}.name ${JSON.stringify(name)} must be a file name in the bin dir (no "/", no spaces, not "." or "..")`);
    if (names.has(name)) throw bad(`${at}.name ${JSON.stringify(name)} is a duplicate`);
    names.add(name);
    const spec = providerOf(item, at, name, bad);
    if (item['tokenAttributes'] === undefined || item['tokenAttributes'] === null) providers.push(spec);
    else skipped.push({ name, reason: 'tokenAttributes: it needs a service account token bound to the pod, which does not exist yet at admission' });
  }
  return { providers, skipped };
}

function providerOf(item: Record<string, unknown>, at: string, name: string, bad: (message: string) => CredentialsError): CredentialProviderSpec {
  const apiVersion = item['apiVersion'];
  if (typeof apiVersion !== 'string' || !PROVIDER_API_VERSIONS.has(apiVersion)) {
    throw bad(`${at}.apiVersion ${JSON.stringify(apiVersion ?? null)} is not one of ${[...PROVIDER_API_VERSIONS].join(', ')}`);
  }
  const matchImages = item['matchImages'];
  if (!Array.isArray(matchImages) || matchImages.length === 0) throw bad(`${at}.matchImages: at least one image pattern is required`);
  for (const glob of matchImages) {
    if (typeof glob !== 'string' || glob.length > MAX_KEY_LENGTH || /[\s\u0000-\u001f]/.test(glob) || compileImageMatcher(glob) === undefined) {
      throw bad(`${at}.matchImages: ${JSON.stringify(glob)} is not an image pattern like *.dkr.ecr.*.amazonaws.com or registry.example:5000/team`);
    }
  }
  const duration = item['defaultCacheDuration'];
  const durationMs = typeof duration === 'string' ? parseGoDuration(duration) : undefined;
  if (durationMs === undefined || durationMs < 0) throw bad(`${at}.defaultCacheDuration is required: a duration like 12h, 5m or 0s`);
  const args = item['args'] ?? [];
  if (!Array.isArray(args) || !args.every((a) => typeof a === 'string')) throw bad(`${at}.args must be a list of strings`);
  const env = item['env'] ?? [];
  if (!Array.isArray(env)) throw bad(`${at}.env must be a list of {name, value}`);
  const vars = env.map((v, j) => {
    if (!isRecord(v) || typeof v['name'] !== 'string' || v['name'] === '' || typeof v['value'] !== 'string') throw bad(`${at}.env[${j}] must be {name, value} strings`);
    return { name: v['name'], value: v['value'] };
  });
  return { name, matchImages: matchImages as string[], defaultCacheDurationMs: durationMs, apiVersion, args: args as string[], env: vars };
}

/** Several files of a config directory, in the order read: one list, a name defined twice being an error (as the kubelet). */
export function mergeCredentialProviderConfigs(configs: readonly { readonly source: string; readonly config: CredentialProviderConfig }[]): CredentialProviderConfig {
  const seen = new Map<string, string>();
  for (const { source, config } of configs) {
    for (const name of [...config.providers.map((p) => p.name), ...config.skipped.map((s) => s.name)]) {
      const first = seen.get(name);
      if (first !== undefined) throw new CredentialsError('invalid-config', `${source}: provider ${JSON.stringify(name)} is already defined in ${first}`);
      seen.set(name, source);
    }
  }
  return { providers: configs.flatMap((c) => c.config.providers), skipped: configs.flatMap((c) => c.config.skipped) };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
