import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { misreadable, portableYaml } from './portable-yaml.js';

describe('portableYaml: strings every reader reads back as written', () => {
  // [why it is a trap, the string]
  const traps: ReadonlyArray<readonly [string, string]> = [
    ['YAML 1.1 boolean false (kubectl)', 'Off'],
    ['YAML 1.1 boolean, lower case', 'off'],
    ['YAML 1.1 boolean true', 'ON'],
    ['YAML 1.1 one-letter boolean', 'y'],
    ['YAML 1.1 one-letter boolean false', 'N'],
    ['YAML 1.1 yes', 'yes'],
    ['YAML 1.1 no', 'No'],
    ['boolean in both versions', 'true'],
    ['null in both versions', 'null'],
    ['the null tilde', '~'],
    ['the empty string (null when plain)', ''],
    ['YAML 1.1 octal', '0777'],
    ['YAML 1.2 octal', '0o777'],
    ['Go strconv octal, upper case (go-yaml v2)', '0O17'],
    ['Go strconv binary, upper case (go-yaml v2)', '0B101'],
    ['hexadecimal', '0x1F'],
    ['YAML 1.1 sexagesimal (ninety)', '1:30'],
    ['YAML 1.1 integer with underscores', '1_000'],
    ['YAML 1.1 timestamp', '2001-12-14'],
    ['float', '3.14'],
    ['exponent float', '1e3'],
    ['infinity', '.inf'],
    ['not a number', '.NaN'],
    ['a mapping lookalike', 'a: b'],
    ['a comment lookalike', '#x'],
    ['a mapping lookalike with double quotes (single-quoted)', 'globs: "ns:name"'],
  ];
  for (const [why, text] of traps) {
    it(`quotes ${JSON.stringify(text)}: ${why}`, () => {
      assert.equal(misreadable(text), true);
      const written = portableYaml({ value: text });
      assert.match(written, /^value: ["']/, written);
      for (const version of ['1.1', '1.2'] as const) assert.deepEqual(parse(written, { version }), { value: text }, `read back as YAML ${version}`);
    });
  }

  const plain: ReadonlyArray<readonly [string, string]> = [
    ['an enum value no reader misreads', 'Disabled'],
    ['a word', 'DryRun'],
    ['a path', '/var/cache/nginx'],
    ['an image reference', 'registry.example/shop/web:2.1'],
    ['a URL', 'https://127.0.0.1:8443/validate'],
  ];
  for (const [why, text] of plain) {
    it(`leaves ${JSON.stringify(text)} plain: ${why}`, () => {
      assert.equal(misreadable(text), false);
      assert.equal(portableYaml({ value: text }), `value: ${text}\n`);
    });
  }

  it('quotes keys too (`on:` is the boolean true as a YAML 1.1 key), and leaves booleans and numbers alone', () => {
    const written = portableYaml({ on: 'push', enabled: true, replicas: 2 });
    assert.equal(written, '"on": push\nenabled: true\nreplicas: 2\n');
    assert.deepEqual(parse(written, { version: '1.1' }), { on: 'push', enabled: true, replicas: 2 });
  });

  it('writes a multi-line string as a block scalar (a string to every reader)', () => {
    const written = portableYaml({ script: 'set -e\nexec app\n' });
    assert.equal(written, 'script: |\n  set -e\n  exec app\n');
    for (const version of ['1.1', '1.2'] as const) assert.deepEqual(parse(written, { version }), { script: 'set -e\nexec app\n' });
  });
});
