import { PolicyLoadError } from '../policy/load.js';
import { EXIT, InputError, UsageError, type CommandIo } from './io.js';
import { runServe, SERVE_USAGE } from './serve.js';

const USAGE = `Usage: distroless-guard <command> [options]

Commands:
  serve     run the validating and mutating admission webhook (HTTPS)
  inspect   inspect an image: shells, package managers, user   (inspect --help)
  certs     generate a CA, a serving certificate, its Secret and webhook configurations with the caBundle   (certs --help)
  check     would these manifests be admitted? decisions, violated rules and patches, before kubectl apply   (check --help)
  audit     which running workloads would an Enforce switch deny? optionally written as PolicyReports   (audit --help)

${SERVE_USAGE}`;

type Command = (args: readonly string[], io: CommandIo) => Promise<number>;

async function inspect(args: readonly string[], io: CommandIo): Promise<number> {
  const { runInspect } = await import('./inspect.js');
  return runInspect([...args], io);
}

async function certs(args: readonly string[], io: CommandIo): Promise<number> {
  const { runCerts } = await import('./certs.js');
  return runCerts(args, io);
}

async function check(args: readonly string[], io: CommandIo): Promise<number> {
  const { runCheck } = await import('./check.js');
  return runCheck(args, io);
}

async function audit(args: readonly string[], io: CommandIo): Promise<number> {
  const { runAudit } = await import('./audit.js');
  return runAudit(args, io);
}

const COMMANDS: Readonly<Record<string, Command>> = { serve: runServe, inspect, certs, check, audit };

export async function main(argv: readonly string[], io: CommandIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(`${USAGE}\n`);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr.write(`distroless-guard: unknown command "${name}" (try --help)\n`);
    return EXIT.usage;
  }
  try {
    return await command(args, io);
  } catch (err) {
    if (err instanceof UsageError || err instanceof InputError || isParseArgsError(err)) {
      io.stderr.write(`distroless-guard ${name}: ${(err as Error).message}\n`);
      return EXIT.usage;
    }
    if (err instanceof PolicyLoadError) {
      io.stderr.write(`distroless-guard ${name}: ${err.message}\n`);
      return EXIT.failure;
    }
    const message = err instanceof Error ? err.message : String(err);
    io.stderr.write(`distroless-guard ${name}: ${message}\n`);
    return EXIT.failure;
  }
}

function isParseArgsError(err: unknown): boolean {
  return err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS');
}

const isEntryPoint = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isEntryPoint) {
  const code = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, cwd: process.cwd() });
  process.exitCode = code;
  // Done: a background image scan or an API client's keep-alive socket must not hold the process past its
  // termination grace.
  setTimeout(() => process.exit(code), 1_000).unref();
}
