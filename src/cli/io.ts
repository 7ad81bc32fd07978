import type { Readable, Writable } from 'node:stream';
import type { LookupFunction } from '../image/registry/egress.js';

/** What a command may touch: passed in, so commands are testable without a child process. */
export interface CommandIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
  /** Read by commands that take `-` for standard input (check -f -). */
  readonly stdin?: Readable;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Name resolution for registry connections (default: the system's; tests resolve their test hosts to loopback). */
  readonly lookup?: LookupFunction;
}

/** Exit codes shared by every command. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Input that cannot be used (a manifest that is not YAML, a policy file that is invalid): exit 2, like a usage error. */
export class InputError extends Error {
  override readonly name = 'InputError';
}
