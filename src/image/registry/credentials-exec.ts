/**
 * Runs a credential program (a docker credential helper, a kubelet credential provider plugin) the way docker and the
 * kubelet do: the file itself with its arguments, no shell, the request on stdin, the answer on stdout. Bounded: a
 * deadline after which its whole process group is killed (a shell script's `sleep` child would otherwise keep the
 * pipes open), and a cap on what it may print (an answer is a few KiB). Its stderr is kept (capped) for the
 * operator's messages; its stdout is the caller's to parse and never goes into a message (it holds the secret).
 */
import { spawn, type ChildProcess } from 'node:child_process';

export type ExecFailure =
  /** No such file (or, for a bare name, nothing on PATH). */
  | 'not-found'
  /** The file exists but cannot be executed. */
  | 'not-executable'
  /** It did not exit within its time. */
  | 'timeout'
  /** It printed more than the cap. */
  | 'output-too-large'
  /** It was killed by a signal, or could not be started for another reason. */
  | 'crashed'
  /** The caller gave up (its AbortSignal fired). */
  | 'aborted';

export class ExecError extends Error {
  override readonly name = 'ExecError';
  constructor(
    readonly failure: ExecFailure,
    message: string,
    /** What the program wrote on stderr, capped. */
    readonly stderr: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface ExecOptions {
  /** An absolute path, or a name looked up on `env.PATH`. */
  readonly file: string;
  readonly args?: readonly string[];
  readonly stdin: string;
  /** The program's whole environment (nothing else is inherited). */
  readonly env: NodeJS.ProcessEnv;
  readonly timeoutMs: number;
  readonly maxStdoutBytes: number;
  readonly signal?: AbortSignal;
}

export interface ExecResult {
  readonly exitCode: number;
  readonly stdout: Buffer;
  /** Trimmed, at most MAX_STDERR_CHARS. */
  readonly stderr: string;
}

const MAX_STDERR_CHARS = 4096;

/** Resolves with the exit code and output once the program exits; rejects (ExecError) when it cannot run or is cut off. */
export function runCredentialProgram(options: ExecOptions): Promise<ExecResult> {
  return new Promise<ExecResult>((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(new ExecError('aborted', 'was cancelled before it started', ''));
      return;
    }
    let child: ChildProcess;
    try {
      // detached: its own process group, so a timeout kills what it started too.
      child = spawn(options.file, [...(options.args ?? [])], { env: options.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true, shell: false, windowsHide: true });
    } catch (err) {
      reject(new ExecError('crashed', `could not be started: ${err instanceof Error ? err.message : String(err)}`, '', { cause: err }));
      return;
    }
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    let stderr = '';
    let settled = false;

    const settle = (then: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      then();
    };
    const kill = (): void => {
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          child.kill('SIGKILL'); // the group is gone already, or was never made
        }
      }
      child.stdout?.destroy();
      child.stderr?.destroy();
    };
    const fail = (failure: ExecFailure, message: string, cause?: unknown): void =>
      settle(() => {
        kill();
        reject(new ExecError(failure, message, stderr.trim(), cause === undefined ? undefined : { cause }));
      });
    const onAbort = (): void => fail('aborted', 'was cancelled');
    const timer = setTimeout(() => fail('timeout', `did not finish within ${formatMs(options.timeoutMs)}`), options.timeoutMs);
    options.signal?.addEventListener('abort', onAbort, { once: true });

    child.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') fail('not-found', 'was not found', err);
      else if (err.code === 'EACCES') fail('not-executable', 'is not executable', err);
      else fail('crashed', `could not be run (${err.code ?? err.message})`, err);
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      if (stdoutBytes > options.maxStdoutBytes) fail('output-too-large', `printed more than ${options.maxStdoutBytes} bytes`);
      else stdout.push(chunk);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      if (stderr.length < MAX_STDERR_CHARS) stderr += chunk.toString('utf8').slice(0, MAX_STDERR_CHARS - stderr.length);
    });
    // A program may exit without reading its request: the write then fails with EPIPE, which says nothing more.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.stdin);
    child.on('close', (code, signal) =>
      settle(() => {
        if (code === null) reject(new ExecError('crashed', `was killed by ${signal ?? 'a signal'}`, stderr.trim()));
        else resolve({ exitCode: code, stdout: Buffer.concat(stdout), stderr: stderr.trim() });
      }),
    );
  });
}

/** The first line of a program's error output, short enough for a log line or a CLI message. */
export function firstLine(text: string, max = 200): string {
  const line = text.trim().split('\n')[0] ?? '';
  return line.length > max ? `${line.slice(0, max)}…` : line;
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
