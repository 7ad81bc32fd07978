/**
 * `distroless-guard completion bash|zsh|fish`: a completion script written from the commands' own flag
 * declarations, so it never falls behind them. Each shell gets its native mechanism: a bash `complete -F`
 * function, a zsh `_arguments` function (loadable from $fpath or sourced), fish `complete` lines.
 */
import { longFlag, type CommandDefinition, type FlagSpec } from './flags.js';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

/** A command as completion sees it: its flags (hidden aliases left out) and what its operands are. */
export interface CompletionCommand {
  readonly name: string;
  readonly summary: string;
  readonly flags: readonly CompletionFlag[];
  /** Words offered for the operands; undefined when operands are free text (an image reference), [] for none. */
  readonly operands?: readonly string[];
}

export interface CompletionFlag {
  readonly long: string;
  readonly short?: string;
  readonly help: string;
  readonly repeatable: boolean;
  /** What follows the flag: nothing (a switch), a file name, one of some words, or free text. */
  readonly value: { readonly kind: 'none' | 'file' | 'text' } | { readonly kind: 'choice'; readonly words: readonly string[] };
}

const PROGRAM = 'distroless-guard';
const FUNCTION = '_distroless_guard';

/** The completion view of a command definition. */
export function completionCommand(definition: CommandDefinition): CompletionCommand {
  const flags = Object.entries(definition.flags)
    .filter((entry): entry is [string, FlagSpec & { help: string }] => entry[1].help !== undefined)
    .map(([name, spec]): CompletionFlag => ({
      long: longFlag(name, spec),
      ...(spec.short !== undefined ? { short: spec.short } : {}),
      help: spec.help,
      repeatable: spec.type === 'string' && spec.multiple === true,
      value: valueOf(spec),
    }));
  flags.push({ long: 'help', short: 'h', help: 'print this help', repeatable: false, value: { kind: 'none' } });
  return { name: definition.name, summary: definition.summary, flags, ...(definition.operands === undefined ? { operands: [] } : {}) };
}

function valueOf(spec: FlagSpec): CompletionFlag['value'] {
  if (spec.type === 'boolean') return { kind: 'none' };
  if (spec.multiple !== true && spec.choices !== undefined) return { kind: 'choice', words: spec.choices };
  return /FILE|PATH|DIR/.test(spec.value ?? '') ? { kind: 'file' } : { kind: 'text' };
}

export function completionScript(shell: Shell, commands: readonly CompletionCommand[]): string {
  switch (shell) {
    case 'bash':
      return bashScript(commands);
    case 'zsh':
      return zshScript(commands);
    case 'fish':
      return fishScript(commands);
  }
}

const flagWords = (flag: CompletionFlag): string[] => [...(flag.short !== undefined ? [`-${flag.short}`] : []), `--${flag.long}`];
/** The first clause of a flag's help: completion menus show one short line. */
const brief = (help: string): string => help.split(/[;(]/)[0]?.trim().slice(0, 80) ?? '';

function bashScript(commands: readonly CompletionCommand[]): string {
  const lines = [
    `# ${PROGRAM} completion for bash. Load it with: source <(${PROGRAM} completion bash)`,
    `${FUNCTION}() {`,
    '  local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}" opts=""',
    '  COMPREPLY=()',
    '  if [ "$COMP_CWORD" -eq 1 ]; then',
    `    COMPREPLY=($(compgen -W "${commands.map((c) => c.name).join(' ')} --help --version" -- "$cur"))`,
    '    return',
    '  fi',
    '  case "${COMP_WORDS[1]}" in',
  ];
  for (const command of commands) {
    lines.push(`    ${command.name})`);
    const valued = command.flags.filter((f) => f.value.kind !== 'none');
    if (valued.length > 0) {
      lines.push('      case "$prev" in');
      for (const flag of valued) {
        const action =
          flag.value.kind === 'choice'
            ? `COMPREPLY=($(compgen -W "${flag.value.words.join(' ')}" -- "$cur"))`
            : flag.value.kind === 'file'
              ? 'compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur"))'
              : ':';
        lines.push(`        ${flagWords(flag).join('|')}) ${action}; return ;;`);
      }
      lines.push('      esac');
    }
    lines.push(`      opts="${command.flags.flatMap(flagWords).join(' ')}"`);
    if (command.operands !== undefined && command.operands.length > 0) {
      lines.push(`      [[ "$cur" == -* ]] || { COMPREPLY=($(compgen -W "${command.operands.join(' ')}" -- "$cur")); return; }`);
    }
    lines.push('      ;;');
  }
  lines.push(
    '  esac',
    '  if [[ "$cur" == -* ]]; then',
    '    COMPREPLY=($(compgen -W "$opts" -- "$cur"))',
    '  fi',
    '}',
    `complete -F ${FUNCTION} ${PROGRAM}`,
    '',
  );
  return lines.join('\n');
}

/** Single-quoted for zsh and bash: a quote inside is closed, escaped and reopened. */
const quoted = (text: string): string => `'${text.replaceAll("'", `'\\''`)}'`;
/** An _arguments description: brackets and colons would end it early. */
const zshDescription = (text: string): string => brief(text).replaceAll('[', '(').replaceAll(']', ')').replaceAll(':', ' ');

function zshFlagSpec(flag: CompletionFlag): string {
  const words = flagWords(flag);
  const exclusive = flag.repeatable ? "'*'" : words.length > 1 ? quoted(`(${words.join(' ')})`) : '';
  const names = words.length > 1 ? `{${words.join(',')}}` : words[0] ?? '';
  const action =
    flag.value.kind === 'none'
      ? ''
      : `:${flag.long}:${flag.value.kind === 'choice' ? `(${flag.value.words.join(' ')})` : flag.value.kind === 'file' ? '_files' : ' '}`;
  return `${exclusive}${names}${quoted(`[${zshDescription(flag.help)}]${action}`)}`;
}

function zshScript(commands: readonly CompletionCommand[]): string {
  const lines = [
    `#compdef ${PROGRAM}`,
    `# ${PROGRAM} completion for zsh. Load it with: source <(${PROGRAM} completion zsh) (after compinit), or save it`,
    `# as ${FUNCTION} in a directory of $fpath.`,
    `${FUNCTION}() {`,
    '  local -a commands',
    '  commands=(',
    ...commands.map((c) => `    ${quoted(`${c.name}:${zshDescription(c.summary)}`)}`),
    '  )',
    '  if (( CURRENT == 2 )); then',
    "    _describe -t commands 'distroless-guard command' commands",
    '    return',
    '  fi',
    '  local command=$words[2]',
    '  shift words',
    '  (( CURRENT-- ))',
    '  case $command in',
  ];
  for (const command of commands) {
    const operand = command.operands === undefined ? [quoted(':operand: ')] : command.operands.length > 0 ? [quoted(`:${command.name}:(${command.operands.join(' ')})`)] : [];
    lines.push(`    ${command.name})`, `      _arguments -s \\`, ...[...command.flags.map(zshFlagSpec), ...operand].map((spec) => `        ${spec} \\`), '        && return 0', '      ;;');
  }
  lines.push(
    '  esac',
    '}',
    // Loaded from $fpath, the file is the function's body; sourced, it registers the function.
    `if [[ $zsh_eval_context[-1] == loadautofunc ]]; then`,
    `  ${FUNCTION} "$@"`,
    'else',
    `  compdef ${FUNCTION} ${PROGRAM}`,
    'fi',
    '',
  );
  return lines.join('\n');
}

/** Single-quoted for fish: backslashes and quotes escaped. */
const fishQuoted = (text: string): string => `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;

function fishScript(commands: readonly CompletionCommand[]): string {
  const lines = [`# ${PROGRAM} completion for fish. Load it with: ${PROGRAM} completion fish | source`, `complete -c ${PROGRAM} -f`];
  for (const command of commands) lines.push(`complete -c ${PROGRAM} -n __fish_use_subcommand -a ${command.name} -d ${fishQuoted(brief(command.summary))}`);
  for (const command of commands) {
    const when = `-n ${fishQuoted(`__fish_seen_subcommand_from ${command.name}`)}`;
    for (const flag of command.flags) {
      const names = `${flag.short !== undefined ? `-s ${flag.short} ` : ''}-l ${flag.long}`;
      const value = flag.value.kind === 'none' ? '' : flag.value.kind === 'file' ? ' -r -F' : flag.value.kind === 'choice' ? ` -x -a ${fishQuoted(flag.value.words.join(' '))}` : ' -x';
      lines.push(`complete -c ${PROGRAM} ${when} ${names}${value} -d ${fishQuoted(brief(flag.help))}`);
    }
    if (command.operands !== undefined && command.operands.length > 0) lines.push(`complete -c ${PROGRAM} ${when} -x -a ${fishQuoted(command.operands.join(' '))}`);
  }
  lines.push('');
  return lines.join('\n');
}
