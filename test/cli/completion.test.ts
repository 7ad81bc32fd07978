/**
 * `distroless-guard completion bash|zsh|fish` loaded into the real shells (Debian's bash, zsh and fish, installed by
 * scripts/test-deps.sh): bash and fish are asked for completions of partial command lines as they would be at a
 * prompt; zsh's script must parse and register its function with compinit.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { main } from '../../src/cli/main.js';
import { textSink } from '../support/text-sink.js';

const run = promisify(execFile);
let dir: string;
const script = (shell: string): string => join(dir, `completion.${shell}`);

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dg-completion-'));
  for (const shell of ['bash', 'zsh', 'fish']) {
    const out = textSink();
    assert.equal(await main(['completion', shell], { stdout: out.stream, stderr: textSink().stream, env: {}, cwd: dir }), 0);
    await writeFile(script(shell), out.text());
  }
  await writeFile(join(dir, 'pod.yaml'), 'kind: Pod\n');
});
after(() => rm(dir, { recursive: true, force: true }));

/** What bash's completion function offers for a command line whose last word is being typed. */
async function bashComplete(line: string): Promise<string[]> {
  const words = line.split(' ');
  const program =
    `source ${JSON.stringify(script('bash'))}; ` +
    `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; ` +
    `_distroless_guard; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const { stdout } = await run('bash', ['-c', program], { cwd: dir, timeout: 20_000 });
  return stdout.split('\n').filter((l) => l !== '');
}

/** What fish offers (`complete -C`, the completions of a command line), without the descriptions. */
async function fishComplete(line: string): Promise<string[]> {
  const { stdout } = await run('fish', ['--no-config', '-c', `source ${script('fish')}; complete -C ${JSON.stringify(line)}`], { cwd: dir, timeout: 20_000 });
  return stdout.split('\n').filter((l) => l !== '').map((l) => l.split('\t')[0] ?? '');
}

const cases: [string, string, string[]][] = [
  ['the commands', 'distroless-guard ', ['audit', 'certs', 'check', 'completion', 'inspect', 'serve', 'version']],
  ['a command by its start', 'distroless-guard ch', ['check']],
  ['a flag by its start', 'distroless-guard check --rec', ['--recursive']],
  ['the formats of -o', 'distroless-guard check -o ', ['json', 'sarif', 'table', 'yaml']],
  ["audit's formats", 'distroless-guard audit --output ', ['html', 'json', 'table', 'yaml']],
  ['the shells of completion', 'distroless-guard completion ', ['bash', 'fish', 'zsh']],
  ['files after -f', 'distroless-guard check -f po', ['pod.yaml']],
];

describe('completion bash', () => {
  for (const [name, line, want] of cases) {
    it(`${name}: "${line}"`, async () => {
      const got = await bashComplete(line);
      for (const word of want) assert.ok(got.includes(word), `${word} in ${JSON.stringify(got)}`);
      if (name !== 'the commands') assert.equal(got.length, want.length, JSON.stringify(got));
    });
  }
});

describe('completion fish', () => {
  for (const [name, line, want] of cases) {
    it(`${name}: "${line}"`, async () => {
      const got = await fishComplete(line);
      for (const word of want) assert.ok(got.includes(word), `${word} in ${JSON.stringify(got)}`);
    });
  }
});

describe('completion zsh', () => {
  it('parses, and registers _distroless_guard for distroless-guard with compinit', async () => {
    await run('zsh', ['-n', script('zsh')], { timeout: 20_000 });
    const { stdout } = await run(
      'zsh',
      ['-f', '-c', `autoload -Uz compinit && compinit -u -d ${join(dir, 'zcompdump')}; source ${script('zsh')}; print -r -- $_comps[distroless-guard]`],
      {
        cwd: dir,
        timeout: 20_000,
      },
    );
    assert.equal(stdout.trim(), '_distroless_guard');
  });
});
