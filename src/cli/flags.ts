/**
 * Commands and their flags, declared as data and parsed by commander: one declaration gives the parse, the --help
 * text, the error that names a flag and the shell completion. Values come back keyed by the long flag name
 * (`values['tls-cert']`), as node:util parseArgs gave them, so a command's body reads its flags by the name the
 * user types.
 *
 * Light on purpose: main.ts builds every command from these declarations to answer --help, --version, completion
 * and usage errors without loading what the commands themselves load (express, @kubernetes/client-node, ...).
 */
import { Command, CommanderError, Option, type OutputConfiguration } from 'commander';
import { UsageError } from './io.js';

interface FlagBase {
  /** One letter: `-o` for `--output`. */
  readonly short?: string;
  /** One line for --help; a flag without help is a hidden alias of another (kept for old spellings). */
  readonly help?: string;
  /** The --help section it is listed under (default: Options). */
  readonly group?: string;
}

export interface StringFlag extends FlagBase {
  readonly type: 'string';
  readonly multiple?: false;
  readonly default?: string;
  /** The placeholder in --help: `--policy FILE`. */
  readonly value?: string;
  /** The values completion offers; the command checks the value itself, so an error can say more. */
  readonly choices?: readonly string[];
}

export interface RepeatedFlag extends FlagBase {
  readonly type: 'string';
  readonly multiple: true;
  readonly default?: readonly string[];
  readonly value?: string;
}

/**
 * A switch: false unless given; one that defaults to true is turned off as `--no-NAME` (its help says what `--no-`
 * does), and its value stays keyed by NAME.
 */
export interface BooleanFlag extends FlagBase {
  readonly type: 'boolean';
  readonly default?: boolean;
}

export type FlagSpec = StringFlag | RepeatedFlag | BooleanFlag;
export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

type FlagValue<F extends FlagSpec> = F extends BooleanFlag ? boolean : F extends RepeatedFlag ? string[] : F extends { default: string } ? string : string | undefined;

/** Parsed values by long flag name: booleans default to false, repeated flags to [], strings to their default. */
export type FlagValues<T extends FlagSpecs> = { -readonly [K in keyof T]: FlagValue<T[K]> };

export interface CommandDefinition<T extends FlagSpecs = FlagSpecs> {
  readonly name: string;
  /** One line, in the command list of `distroless-guard --help`. */
  readonly summary: string;
  /** What the command does, above its flags in `<command> --help`. */
  readonly description: string;
  /** The operands after the flags, for the usage line (`IMAGE`); none when absent. */
  readonly operands?: string;
  readonly flags: T;
}

export interface ParsedFlags<T extends FlagSpecs> {
  readonly values: FlagValues<T>;
  readonly operands: string[];
}

/** A commander Command for a definition: its flags declared, errors thrown (not process.exit), output where told. */
export function commandOf(definition: CommandDefinition, output: { readonly out: (text: string) => void; readonly err: (text: string) => void }): Command {
  const command = new Command(definition.name)
    .summary(definition.summary)
    .description(definition.description)
    .usage(`[options]${definition.operands !== undefined ? ` ${definition.operands}` : ''}`)
    .allowExcessArguments(definition.operands !== undefined)
    .helpOption('-h, --help', 'print this help')
    .exitOverride()
    .configureOutput(outputOf(output));
  for (const [name, spec] of Object.entries(definition.flags)) command.addOption(optionOf(name, spec));
  return command;
}

const HELP_WIDTH = 120;

/**
 * Where a command writes (its help to `out`; errors are thrown and said by the caller, in one line). Help is laid
 * out for 120 columns, the width the descriptions are written for, whatever the terminal says.
 */
export function outputOf(output: { readonly out: (text: string) => void; readonly err: (text: string) => void }): OutputConfiguration {
  return { writeOut: output.out, writeErr: output.err, outputError: () => undefined, getOutHelpWidth: () => HELP_WIDTH, getErrHelpWidth: () => HELP_WIDTH };
}

/** The flag as typed: `--no-events` for a switch that is on by default. */
export function longFlag(name: string, spec: FlagSpec): string {
  return spec.type === 'boolean' && spec.default === true ? `no-${name}` : name;
}

function optionOf(name: string, spec: FlagSpec): Option {
  const flags = `${spec.short !== undefined ? `-${spec.short}, ` : ''}--${longFlag(name, spec)}`;
  if (spec.type === 'boolean') return withHelp(new Option(flags, spec.help), spec);
  const option = new Option(`${flags} <${spec.value ?? name.toUpperCase()}>`, spec.multiple === true && spec.help !== undefined ? `${spec.help} (repeatable)` : spec.help);
  if (spec.multiple === true) {
    // Each occurrence adds one value; the declared default stands only when the flag is absent (read back below).
    option.argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]);
    if (spec.default !== undefined && spec.default.length > 0) option.defaultValueDescription = spec.default.join(', ');
  } else {
    if (spec.default !== undefined) option.default(spec.default);
  }
  return withHelp(option, spec);
}

function withHelp(option: Option, spec: FlagSpec): Option {
  if (spec.help === undefined) option.hideHelp();
  if (spec.group !== undefined) option.helpGroup(spec.group);
  return option;
}

/** The parsed values of a command built by commandOf, by long flag name. */
export function flagValues<T extends FlagSpecs>(command: Command, flags: T): FlagValues<T> {
  const options = command.opts<Record<string, unknown>>();
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(flags)) {
    const value = options[new Option(`--${name}`).attributeName()];
    if (spec.type === 'boolean') values[name] = value === true || (value === undefined && spec.default === true);
    else if (spec.multiple === true) values[name] = Array.isArray(value) ? value : [...(spec.default ?? [])];
    else values[name] = value;
  }
  return values as FlagValues<T>;
}

/**
 * Parses a command's arguments with its declaration. Each command's module does this itself, so that it can be
 * called directly (the tests do); main.ts has parsed the same arguments with the same declaration already, to
 * answer --help and usage errors before loading the module. A malformed argument is a UsageError naming the flag.
 */
export function parseFlags<T extends FlagSpecs>(definition: CommandDefinition<T>, args: readonly string[]): ParsedFlags<T> {
  const command = commandOf(definition, { out: () => undefined, err: () => undefined });
  try {
    command.parse([...args], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) throw new UsageError(usageMessage(err));
    throw err;
  }
  return { values: flagValues(command, definition.flags), operands: [...command.args] };
}

/** commander's message as one line, without its "error: " prefix (ours prefixes the command instead). */
export function usageMessage(err: CommanderError): string {
  return err.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ').trim();
}
