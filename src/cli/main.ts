/**
 * The command line: commander parses every command from its declaration (the *-command.ts modules, light), and a
 * command's own module, with what it loads (express, @kubernetes/client-node, ajv, pino, ...), is imported only when
 * that command runs. So `--help`, `--version`, `completion` and usage errors answer at the speed of an empty Node.
 */
import { Command, CommanderError } from 'commander';
import { AUDIT_COMMAND } from './audit-command.js';
import { readBuildInfo } from './build-info.js';
import { CERTS_COMMAND } from './certs-command.js';
import { CHECK_COMMAND } from './check-command.js';
import { completionCommand, completionScript, SHELLS, type CompletionCommand, type Shell } from './completion.js';
import { commandOf, outputOf, usageMessage, type CommandDefinition } from './flags.js';
import { INSPECT_COMMAND } from './inspect-command.js';
import { EXIT, InputError, UsageError, type CommandIo } from './io.js';
import { serveCommand } from './serve-command.js';

/** A command's module: it parses its own arguments again (so it can be called directly) and runs. */
type Runner = (args: readonly string[], io: CommandIo) => Promise<number>;

interface Entry {
  readonly definition: CommandDefinition;
  readonly load: () => Promise<Runner>;
}

function commands(env: NodeJS.ProcessEnv): readonly Entry[] {
  return [
    { definition: serveCommand(env), load: async () => (await import('./serve.js')).runServe },
    { definition: INSPECT_COMMAND, load: async () => (await import('./inspect.js')).runInspect },
    { definition: CERTS_COMMAND, load: async () => (await import('./certs.js')).runCerts },
    { definition: CHECK_COMMAND, load: async () => (await import('./check.js')).runCheck },
    { definition: AUDIT_COMMAND, load: async () => (await import('./audit.js')).runAudit },
  ];
}

const DESCRIPTION = `Keeps non-distroless containers out of a Kubernetes cluster: an admission webhook (serve) and the same verdicts
offline (check, audit, inspect). Exit codes: 0 ok, 1 failure (check: something would be denied), 2 usage error.`;

export async function main(argv: readonly string[], io: CommandIo): Promise<number> {
  const entries = commands(io.env);
  const { version } = await readBuildInfo(io.env);
  let code: number = EXIT.ok;
  const out = (text: string): void => void io.stdout.write(text);
  const output = outputOf({ out, err: (text) => void io.stderr.write(text) });
  const program = new Command('distroless-guard')
    .description(DESCRIPTION)
    .usage('<command> [options]')
    .version(version, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'print this help')
    .helpCommand('help [command]', 'print the help of a command')
    .exitOverride()
    .configureOutput(output);
  for (const { definition, load } of entries) {
    program.addCommand(
      commandOf(definition, { out, err: (text) => void io.stderr.write(text) }).action(async () => {
        // The command is argv[0] (the program itself takes no flag but --help and --version, which end the parse).
        code = await (await load())(argv.slice(1), io);
      }),
    );
  }
  program.addCommand(
    new Command('version').summary('print the version').helpOption('-h, --help', 'print this help').exitOverride().configureOutput(output).action(() => {
      out(`${version}\n`);
    }),
  );
  const completable = completionCommands(entries);
  program.addCommand(
    new Command('completion')
      .summary('print a shell completion script: bash, zsh or fish')
      .description(
        'Prints a completion script for SHELL. bash: source <(distroless-guard completion bash); zsh (after compinit):\nsource <(distroless-guard completion zsh); fish: distroless-guard completion fish | source',
      )
      .argument('<SHELL>', SHELLS.join(', '))
      .helpOption('-h, --help', 'print this help')
      .exitOverride()
      .configureOutput(output)
      .action((shell: string) => {
        const known = SHELLS.find((s) => s === shell);
        if (known === undefined) throw new UsageError(`unknown shell "${shell}": expected one of ${SHELLS.join(', ')}`);
        out(completionScript(known satisfies Shell, completable));
      }),
  );

  const name = entries.some((e) => e.definition.name === argv[0]) || argv[0] === 'completion' || argv[0] === 'version' ? argv[0] : undefined;
  const prefix = `distroless-guard${name !== undefined ? ` ${name}` : ''}`;
  if (argv.length === 0) {
    out(program.helpInformation());
    return EXIT.usage;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end the parse by throwing with exit code 0; anything else is a usage error.
      if (err.exitCode === 0) return EXIT.ok;
      io.stderr.write(`${prefix}: ${usageMessage(err)} (try ${name !== undefined ? `${name} ` : ''}--help)\n`);
      return EXIT.usage;
    }
    if (err instanceof UsageError || err instanceof InputError) {
      io.stderr.write(`${prefix}: ${err.message}\n`);
      return EXIT.usage;
    }
    // An invalid policy (the server refuses to start), an unreadable cluster, any other failure: one line, exit 1.
    io.stderr.write(`${prefix}: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT.failure;
  }
}

function completionCommands(entries: readonly Entry[]): CompletionCommand[] {
  const help = { long: 'help', short: 'h', help: 'print this help', repeatable: false, value: { kind: 'none' } } as const;
  const names = [...entries.map((e) => e.definition.name), 'version', 'completion'];
  return [
    ...entries.map((e) => completionCommand(e.definition)),
    { name: 'version', summary: 'print the version', flags: [help], operands: [] },
    { name: 'completion', summary: 'print a shell completion script', flags: [help], operands: SHELLS },
    { name: 'help', summary: 'print the help of a command', flags: [], operands: names },
  ];
}

const isEntryPoint = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isEntryPoint) {
  const code = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, cwd: process.cwd() });
  process.exitCode = code;
  // Done: a background image scan or an API client's keep-alive socket must not hold the process past its
  // termination grace.
  setTimeout(() => process.exit(code), 1_000).unref();
}
