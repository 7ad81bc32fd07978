/**
 * Docker credential helpers (docker-credential-helpers' protocol, as `docker pull` runs them for `credsStore` and
 * `credHelpers`): `docker-credential-<name> get` with the server URL on stdin answers
 * `{"ServerURL": …, "Username": …, "Secret": …}` on stdout; a Username of `<token>` makes the Secret an identity
 * token. A helper without credentials for the server prints "credentials not found in native keychain" and exits 1:
 * that is no credential, not a failure. Anything else that is not such an answer is an error naming the helper.
 *
 * Answers are kept `cacheMs` (a helper may be slow, e.g. ecr-login asks AWS; docker asks once per command, the guard
 * answers admissions all day), and concurrent asks for one helper and server share one run.
 */
import { Limiter } from '../../shared/limiter.js';
import { SingleFlight } from '../cache/single-flight.js';
import type { RegistryCredential } from '../inspector-types.js';
import { CredentialsError } from './credentials.js';
import { ExecError, firstLine, runCredentialProgram } from './credentials-exec.js';

export interface CredentialHelpersOptions {
  /** The helpers' environment: PATH finds `docker-credential-<name>`, HOME and the rest are what helpers read. */
  readonly env: NodeJS.ProcessEnv;
  /** How long one run may take (default 30 s). */
  readonly timeoutMs?: number;
  /** How long an answer is reused (default 60 s). */
  readonly cacheMs?: number;
  readonly now?: () => number;
}

export interface CredentialHelpers {
  /** The helper's credential for `serverUrl`; undefined when it has none. Rejects with CredentialsError 'helper-failed'. */
  get(name: string, serverUrl: string, signal: AbortSignal): Promise<RegistryCredential | undefined>;
  /** The same answer when it is fresh in memory, else undefined. */
  peek(name: string, serverUrl: string): { readonly credential: RegistryCredential | undefined } | undefined;
}

export const DEFAULT_HELPER_TIMEOUT_MS = 30_000;
export const DEFAULT_HELPER_CACHE_MS = 60_000;
/** A helper's answer is one small JSON object. */
const MAX_HELPER_OUTPUT_BYTES = 64 * 1024;
/** docker-credential-helpers' errCredentialsNotFoundMessage. */
const NOT_FOUND = 'credentials not found in native keychain';
const MAX_CACHED = 1_000;
/** Helper processes at once: with a credsStore every registry host a pod names is a run (serve --fallback-credentials). */
const MAX_RUNNING = 4;

export function createCredentialHelpers(options: CredentialHelpersOptions): CredentialHelpers {
  const timeoutMs = options.timeoutMs ?? DEFAULT_HELPER_TIMEOUT_MS;
  const cacheMs = options.cacheMs ?? DEFAULT_HELPER_CACHE_MS;
  const now = options.now ?? Date.now;
  const answers = new Map<string, { credential: RegistryCredential | undefined; at: number }>();
  // A run goes on when its callers gave up (bounded by its own timeout), so the next admission finds the answer.
  const flights = new SingleFlight<RegistryCredential | undefined>(timeoutMs);
  const keyOf = (name: string, serverUrl: string): string => `${name}\0${serverUrl}`;
  const running = new Limiter(MAX_RUNNING);

  const peek = (name: string, serverUrl: string): { credential: RegistryCredential | undefined } | undefined => {
    const hit = answers.get(keyOf(name, serverUrl));
    return hit !== undefined && now() - hit.at < cacheMs ? { credential: hit.credential } : undefined;
  };

  return {
    peek,
    async get(name, serverUrl, signal) {
      const hit = peek(name, serverUrl);
      if (hit !== undefined) return hit.credential;
      return flights.run(keyOf(name, serverUrl), signal, async (control) => {
        const release = await running.acquire(control.signal);
        let credential: RegistryCredential | undefined;
        try {
          credential = await runHelper(name, serverUrl, options.env, timeoutMs, control.signal);
        } finally {
          release();
        }
        if (answers.size >= MAX_CACHED) answers.clear();
        answers.set(keyOf(name, serverUrl), { credential, at: now() });
        return credential;
      });
    },
  };
}

async function runHelper(name: string, serverUrl: string, env: NodeJS.ProcessEnv, timeoutMs: number, signal: AbortSignal): Promise<RegistryCredential | undefined> {
  const program = `docker-credential-${name}`;
  let result;
  try {
    result = await runCredentialProgram({ file: program, args: ['get'], stdin: serverUrl, env, timeoutMs, maxStdoutBytes: MAX_HELPER_OUTPUT_BYTES, signal });
  } catch (err) {
    const what = err instanceof ExecError ? err.message : String(err);
    const hint = err instanceof ExecError && err.failure === 'not-found' ? ' on PATH' : '';
    throw new CredentialsError('helper-failed', `credential helper ${program} ${what}${hint} (asked for ${serverUrl})`, {
      cause: err,
      ...(err instanceof ExecError && err.stderr !== '' ? { detail: firstLine(err.stderr) } : {}),
    });
  }
  const out = result.stdout.toString('utf8').trim();
  if (result.exitCode !== 0) {
    if (out === NOT_FOUND) return undefined;
    // Helpers print their error on stdout (docker-credential-helpers' Serve): a message, not a credential.
    const said = firstLine(out !== '' ? out : result.stderr);
    throw new CredentialsError('helper-failed', `credential helper ${program} exited with status ${result.exitCode} (asked for ${serverUrl})`, said === '' ? undefined : { detail: said });
  }
  return parseHelperAnswer(out, program);
}

/** A helper's stdout as a credential: undefined for an empty Username and Secret; an error for anything not an answer. */
export function parseHelperAnswer(text: string, program: string): RegistryCredential | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    // Never quote it: a malformed answer may still hold the secret.
    throw new CredentialsError('helper-failed', `credential helper ${program} did not answer with JSON`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new CredentialsError('helper-failed', `credential helper ${program} did not answer with a JSON object`);
  const { Username: username, Secret: secret } = doc as Record<string, unknown>;
  if (typeof username !== 'string' || typeof secret !== 'string') {
    throw new CredentialsError('helper-failed', `credential helper ${program} answered without a Username and a Secret`);
  }
  if (username === '' && secret === '') return undefined;
  return { username, password: secret }; // a Username of IDENTITY_TOKEN_USERNAME: the Secret is an identity token
}
