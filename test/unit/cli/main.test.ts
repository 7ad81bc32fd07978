/**
 * The command line's conventions, in-process: --help on every command, --version and `version`, one output flag
 * with its old spellings, usage errors that name the flag (exit 2), completion scripts. Running a command is
 * tested in test/cli/ and test/image/; this file stops at what main answers before a command runs.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { main } from '../../../src/cli/main.js';
import { textSink } from '../../support/text-sink.js';

const ROOT = resolve(import.meta.dirname, '../../..');

async function cli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = textSink();
  const err = textSink();
  const code = await main(args, { stdout: out.stream, stderr: err.stream, env: { HOME: '/nonexistent', ...env }, cwd: ROOT });
  return { code, stdout: out.text(), stderr: err.text() };
}

const COMMANDS = ['serve', 'inspect', 'certs', 'check', 'audit'];

describe('distroless-guard --help and --version', () => {
  it('--help lists every command and exits 0', async () => {
    const { code, stdout } = await cli(['--help']);
    assert.equal(code, 0);
    for (const name of [...COMMANDS, 'version', 'completion', 'help']) assert.match(stdout, new RegExp(`^  ${name}\\b`, 'm'), name);
  });

  it('no command at all prints the help and exits 2', async () => {
    const { code, stdout } = await cli([]);
    assert.equal(code, 2);
    assert.match(stdout, /^Usage: distroless-guard <command> \[options\]/);
  });

  for (const name of COMMANDS) {
    it(`${name} --help and help ${name} print the command's flags and exit 0`, async () => {
      const flag = await cli([name, '--help']);
      assert.equal(flag.code, 0, flag.stderr);
      assert.match(flag.stdout, new RegExp(`^Usage: distroless-guard ${name} \\[options\\]`));
      assert.match(flag.stdout, /^ {2}-h, --help +print this help$/m);
      assert.equal((await cli(['help', name])).stdout, flag.stdout);
    });
  }

  it('serve --help lists its flags (it used to fail with Unknown option)', async () => {
    const { code, stdout } = await cli(['serve', '--help']);
    assert.equal(code, 0);
    for (const flag of [
      '--port <PORT>',
      '--tls-cert <FILE>',
      '--kubeconfig <FILE>',
      '--context <NAME>',
      '--shutdown-delay <DURATION>',
      '--insecure-registry <HOST>',
    ])
      assert.ok(stdout.includes(flag), flag);
    assert.match(stdout, /\(default: "8443"\)/);
  });

  it('--version, -V and version print package.json version', async () => {
    const { version } = JSON.parse(await readFile(resolve(ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const args of [['--version'], ['-V'], ['version']]) assert.deepEqual(await cli(args), { code: 0, stdout: `${version}\n`, stderr: '' }, args.join(' '));
  });
});

describe('one output flag, spelled -o/--output everywhere, old spellings kept', () => {
  const cases: [string, string[], RegExp][] = [
    ['check --help offers -o with its formats', ['check', '--help'], /-o, --output <FORMAT> +table, json, yaml, sarif \(default table\)/],
    ['audit --help offers -o with its formats', ['audit', '--help'], /-o, --output <FORMAT> +table, json, yaml, html \(default table\)/],
    ['inspect --help offers -o with its formats', ['inspect', '--help'], /-o, --output <FORMAT> +table, json, yaml \(default table\)/],
    ['audit --help offers --output-file', ['audit', '--help'], /--output-file <FILE> +write the report to FILE/],
  ];
  for (const [name, args, pattern] of cases) it(name, async () => assert.match((await cli(args)).stdout, pattern));

  it('the aliases (--format, inspect --json) are not listed, only -o', async () => {
    for (const name of ['check', 'audit', 'inspect']) {
      const { stdout } = await cli([name, '--help']);
      assert.doesNotMatch(stdout, /--format|--json/, name);
    }
  });
});

describe('usage errors: one line naming the flag, exit 2', () => {
  const cases: [string, string[], RegExp][] = [
    ['an unknown command', ['frobnicate'], /^distroless-guard: unknown command 'frobnicate' \(try --help\)$/],
    [
      'an unknown flag, with the likely one',
      ['check', '--outptu', 'json'],
      /^distroless-guard check: unknown option '--outptu' \(Did you mean --output\?\) \(try check --help\)$/,
    ],
    ['a flag without its value', ['serve', '--port'], /^distroless-guard serve: option '--port <PORT>' argument missing \(try serve --help\)$/],
    [
      'an operand where none is taken',
      ['check', 'web.yaml'],
      /^distroless-guard check: too many arguments for 'check'\. Expected 0 arguments but got 1: web\.yaml\. \(try check --help\)$/,
    ],
    [
      'inspect --format json, which printed parseArgs internals',
      ['inspect', '--format', 'json'],
      /^distroless-guard inspect: expected exactly one IMAGE, got 0/,
    ],
    [
      'an unknown output format, as -o',
      ['check', '-f', 'x.yaml', '-o', 'xml'],
      /^distroless-guard check: --output xml: expected one of table, json, yaml, sarif$/,
    ],
    ['an unknown output format, as --format', ['audit', '--format', 'pdf'], /^distroless-guard audit: --format pdf: expected one of table, json, yaml, html$/],
    [
      'both spellings at once',
      ['check', '-f', 'x.yaml', '-o', 'json', '--format', 'sarif'],
      /^distroless-guard check: --output and --format are the same flag: give one$/,
    ],
    ['a completion for an unknown shell', ['completion', 'tcsh'], /^distroless-guard completion: unknown shell "tcsh": expected one of bash, zsh, fish$/],
  ];
  for (const [name, args, pattern] of cases) {
    it(name, async () => {
      const { code, stdout, stderr } = await cli(args);
      assert.equal(code, 2, stderr);
      assert.equal(stdout, '');
      assert.equal(stderr.split('\n').filter((l) => l !== '').length, 1, stderr);
      assert.match(stderr.trimEnd(), pattern);
    });
  }
});

describe('completion bash|zsh|fish', () => {
  for (const shell of ['bash', 'zsh', 'fish']) {
    it(`${shell}: a script that knows every command and the formats of -o`, async () => {
      const { code, stdout } = await cli(['completion', shell]);
      assert.equal(code, 0);
      for (const name of COMMANDS) assert.ok(stdout.includes(name), name);
      assert.ok(stdout.includes('table json yaml sarif'), 'check -o formats');
      assert.ok(!stdout.includes('--format') && !stdout.includes('--json'), 'hidden aliases are not offered');
    });
  }
});
