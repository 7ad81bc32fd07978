import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_POLICY_YAML } from '../../src/policy/default-policy.js';

describe('README', () => {
  it('documents the embedded default policy verbatim', async () => {
    const readme = await readFile(resolve(import.meta.dirname, '../../README.md'), 'utf8');
    assert.ok(readme.includes(`\`\`\`yaml\n${DEFAULT_POLICY_YAML}\`\`\``), 'README shows the exact default policy');
  });
});
