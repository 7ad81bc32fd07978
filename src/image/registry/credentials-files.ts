/**
 * The guard's own registry credentials, as the tools an admin logs in with keep them:
 * 1. docker's `$DOCKER_CONFIG/config.json` (else `~/.docker/config.json`): `credHelpers` for a host, else `credsStore`,
 *    else `auths` (keys may be hosts, path prefixes and globs, kubelet style), as `docker pull` reads it;
 * 2. containers' `auth.json` (podman, buildah, skopeo; containers-auth.json(5)): `$REGISTRY_AUTH_FILE`, else
 *    `${XDG_RUNTIME_DIR}/containers/auth.json`, then `${XDG_CONFIG_HOME:-~/.config}/containers/auth.json`; its
 *    `credHelpers` for a host, else `auths` keyed by `registry[/namespace…]`, the most specific key winning.
 * The first file with something for the image's host answers (a helper that has nothing lets the next file answer).
 * A missing file is no credentials; an unreadable or malformed one is an error naming it.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CredentialLookup, CredentialSource, CredentialTarget, RegistryCredential } from '../inspector-types.js';
import { DOCKER_HUB } from '../reference/reference.js';
import { createCredentialLookup, createNamespaceLookup, CredentialsError, keyHost, parseCredentialsFile, type CredentialsFile } from './credentials.js';
import type { CredentialHelpers } from './credentials-helper.js';

export type CredentialsFileKind = 'docker' | 'containers';

export interface CredentialsFilePath {
  readonly path: string;
  readonly kind: CredentialsFileKind;
}

/** Where the files are, in the order they are asked. */
export function credentialsFilePaths(env: NodeJS.ProcessEnv, uid: number | null = process.getuid?.() ?? null): CredentialsFilePath[] {
  const home = env['HOME'];
  const paths: CredentialsFilePath[] = [];
  const dockerDir = env['DOCKER_CONFIG'] ?? (home !== undefined ? join(home, '.docker') : undefined);
  if (dockerDir !== undefined) paths.push({ path: join(dockerDir, 'config.json'), kind: 'docker' });
  // containers/image: REGISTRY_AUTH_FILE replaces the per-session file; without XDG_RUNTIME_DIR it is /run/containers/UID.
  const runtime = env['XDG_RUNTIME_DIR'];
  const primary = env['REGISTRY_AUTH_FILE'] ?? (runtime !== undefined ? join(runtime, 'containers', 'auth.json') : uid !== null ? `/run/containers/${uid}/auth.json` : undefined);
  if (primary !== undefined) paths.push({ path: primary, kind: 'containers' });
  const configHome = env['XDG_CONFIG_HOME'] ?? (home !== undefined ? join(home, '.config') : undefined);
  if (configHome !== undefined) paths.push({ path: join(configHome, 'containers', 'auth.json'), kind: 'containers' });
  return paths;
}

/** A file read and parsed, ready to answer. */
export interface LoadedCredentialsFile {
  readonly path: string;
  readonly kind: CredentialsFileKind;
  /** The helper for a registry host (normalised: docker.io for Docker Hub's names), if the file names one. */
  helperFor(host: string): string | undefined;
  readonly lookup: CredentialLookup;
}

/** Builds one file's answers from its parsed content. */
export function loadedCredentialsFile(path: string, kind: CredentialsFileKind, file: CredentialsFile): LoadedCredentialsFile {
  const helpers = new Map<string, string>();
  for (const [key, name] of file.credHelpers) {
    const host = keyHost(key);
    if (host !== undefined && !helpers.has(host)) helpers.set(host, name);
  }
  const store = kind === 'docker' ? file.credsStore : undefined;
  return {
    path,
    kind,
    helperFor: (host) => helpers.get(keyHost(host) ?? host) ?? store,
    lookup: kind === 'docker' ? createCredentialLookup(file.auths) : createNamespaceLookup(file.auths),
  };
}

/** Reads the files that exist (`credentialsFilePaths` order). */
export async function readCredentialsFiles(paths: readonly CredentialsFilePath[], signal: AbortSignal): Promise<LoadedCredentialsFile[]> {
  const loaded: LoadedCredentialsFile[] = [];
  for (const { path, kind } of paths) {
    let text: string;
    try {
      text = await readFile(path, { encoding: 'utf8', signal });
    } catch (err) {
      const code = typeof err === 'object' && err !== null && 'code' in err ? err.code : undefined;
      if (code === 'ENOENT' || code === 'ENOTDIR') continue;
      throw new CredentialsError('unreadable', `cannot read ${path}`, { cause: err });
    }
    loaded.push(loadedCredentialsFile(path, kind, parseCredentialsFile(text, path)));
  }
  return loaded;
}

/**
 * The files as a credential source. A helper is asked with the server URL docker (or containers/image) gives it:
 * Docker Hub as `https://index.docker.io/v1/` from docker's config, `docker.io` from auth.json; any other registry
 * by its host.
 */
export function fileCredentialSource(files: readonly LoadedCredentialsFile[], helpers: CredentialHelpers): CredentialSource {
  const serverUrl = (file: LoadedCredentialsFile, host: string): string => (file.kind === 'docker' && host === DOCKER_HUB ? 'https://index.docker.io/v1/' : host);
  return {
    async resolve(target, signal) {
      for (const file of files) {
        const helper = file.helperFor(target.host);
        const credential = helper !== undefined ? await helpers.get(helper, serverUrl(file, target.host), signal) : file.lookup(target.host, target.repository);
        if (credential !== undefined) return only(target, credential);
      }
      return undefined;
    },
    peek(target) {
      for (const file of files) {
        const helper = file.helperFor(target.host);
        let credential: RegistryCredential | undefined;
        if (helper !== undefined) {
          const known = helpers.peek(helper, serverUrl(file, target.host));
          if (known === undefined) return undefined;
          credential = known.credential;
        } else credential = file.lookup(target.host, target.repository);
        if (credential !== undefined) return { lookup: only(target, credential) };
      }
      return { lookup: undefined };
    },
  };
}

/** A lookup answering `credential` for the target's host and repository, and nothing else. */
function only(target: CredentialTarget, credential: RegistryCredential): CredentialLookup {
  return (host, repository) => (host === target.host && repository === target.repository ? credential : undefined);
}
