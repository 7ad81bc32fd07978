/**
 * What the registry flags turn into: the inspector's options, with the credential sources they name (the kubelet's
 * credential provider plugins, the guard's own docker config and auth.json with their helpers). Loaded by the
 * commands that read images, never for --help.
 */
import { resolve } from 'node:path';
import type { CredentialSource } from '../image/inspector-types.js';
import { createCredentialHelpers } from '../image/registry/credentials-helper.js';
import { credentialsFilePaths, fileCredentialSource, readCredentialsFiles } from '../image/registry/credentials-files.js';
import { createCredentialProviders, loadCredentialProviderConfig } from '../image/registry/credentials-provider.js';
import type { ImageLogger } from '../image/registry/logger.js';
import { adminHostMatcher } from '../image/registry/egress.js';
import type { ImageInspectorOptions } from '../image/inspector.js';
import { UsageError } from './io.js';
import { credentialProviderFlags, parseMirrors, parseSize, parseTagDuration, type RegistryFlagValues } from './registry-flags.js';

/** How registryOptions is wired into a command. */
export interface RegistryOptionsContext {
  /**
   * The guard's own docker config and containers auth.json, with their credential helpers (default true; serve: only
   * with --fallback-credentials, or a tenant would read what only the guard may).
   */
  readonly ownCredentials?: boolean;
  /** Relative flag paths are resolved against it (default the process's). */
  readonly cwd?: string;
  /** Where a failing credential provider plugin is reported (it then gives nothing, as in the kubelet). */
  readonly logger?: ImageLogger;
}

/**
 * Inspector options from the shared flags. Credentials, after a call's own (a pod's pull secrets): the kubelet's
 * credential provider plugins (--image-credential-provider-config), then the guard's own files and helpers
 * (docs/image-inspection.md, "Where credentials come from").
 */
export async function registryOptions(
  values: RegistryFlagValues,
  env: NodeJS.ProcessEnv,
  signal: AbortSignal,
  context: RegistryOptionsContext = {},
): Promise<Pick<ImageInspectorOptions, 'mirrors' | 'insecureRegistries' | 'credentialSources' | 'limits' | 'tagTtlMs' | 'tagMaxStaleMs'>> {
  try {
    adminHostMatcher(values['insecure-registry']);
  } catch (err) {
    throw new UsageError(`--insecure-registry: ${err instanceof Error ? err.message : String(err)}`);
  }
  const credentialSources: CredentialSource[] = [];
  const providers = credentialProviderFlags(values);
  if (providers !== undefined) credentialSources.push(await credentialProviders(providers, env, signal, context));
  if (context.ownCredentials ?? true) {
    credentialSources.push(fileCredentialSource(await readCredentialsFiles(credentialsFilePaths(env), signal), createCredentialHelpers({ env })));
  }
  return {
    mirrors: parseMirrors(values.mirror),
    insecureRegistries: [...values['insecure-registry']],
    limits: { layer: { maxUncompressedBytes: parseSize('--max-layer-size', values['max-layer-size']) } },
    tagTtlMs: parseTagDuration('--tag-ttl', values['tag-ttl']),
    tagMaxStaleMs: parseTagDuration('--tag-max-stale', values['tag-max-stale']),
    credentialSources,
  };
}

/** An ImageLogger for a one-shot command: warnings as lines on its stderr (fields that say what, never a credential). */
export function warningsTo(stderr: { write(text: string): unknown }, command: string): ImageLogger {
  const quiet = (): void => undefined;
  return {
    debug: quiet,
    info: quiet,
    warn: (fields, message) => {
      const said = Object.entries(fields).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
      stderr.write(`${command}: warning: ${message}${said.length > 0 ? ` (${said.join(', ')})` : ''}\n`);
    },
  };
}

async function credentialProviders(flags: { config: string; binDir: string }, env: NodeJS.ProcessEnv, signal: AbortSignal, context: RegistryOptionsContext): Promise<CredentialSource> {
  const cwd = context.cwd ?? process.cwd();
  const binDir = resolve(cwd, flags.binDir);
  const config = await loadCredentialProviderConfig(resolve(cwd, flags.config), binDir, signal);
  for (const { name, reason } of config.skipped) context.logger?.warn({ provider: name, reason }, 'credential provider not used');
  return createCredentialProviders({
    providers: config.providers,
    binDir,
    env,
    onError: (provider, image, error) => context.logger?.warn({ provider, image, error: error.message, ...(error.detail === undefined ? {} : { detail: error.detail }) }, 'credential provider failed'),
  });
}
