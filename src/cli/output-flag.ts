/**
 * One output flag, spelled the same by every command that prints a report: `-o, --output FORMAT` (kubectl's
 * spelling), with `--format` kept as a hidden alias for the commands that had it.
 */
import type { StringFlag } from './flags.js';
import { UsageError } from './io.js';

export type OutputFormat = 'table' | 'json' | 'yaml' | 'sarif' | 'html';

/** The --output flag of a command printing `formats` (the first is the default), and the --format alias. */
export function outputFlags<F extends OutputFormat>(formats: readonly F[], notes = ''): { readonly output: StringFlag; readonly format: StringFlag } {
  return {
    output: { type: 'string', short: 'o', value: 'FORMAT', choices: formats, help: `${formats.join(', ')} (default ${formats[0] ?? 'table'})${notes}` },
    format: { type: 'string', value: 'FORMAT' },
  };
}

/** The format asked for by --output or its alias --format; an unknown one is a UsageError naming the flag as typed. */
export function outputFormat<F extends OutputFormat>(values: { readonly output?: string | undefined; readonly format?: string | undefined }, formats: readonly F[]): F {
  if (values.output !== undefined && values.format !== undefined) throw new UsageError('--output and --format are the same flag: give one');
  const [flag, value] = values.output !== undefined ? ['--output', values.output] : ['--format', values.format];
  if (value === undefined) return formats[0] as F;
  const format = formats.find((f) => f === value);
  if (format === undefined) throw new UsageError(`${flag} ${value}: expected one of ${formats.join(', ')}`);
  return format;
}
