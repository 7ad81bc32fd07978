/**
 * The documentation as a reader follows it: the README a short front page, every relative link and #anchor of the
 * README and docs/ leading somewhere, and docs/policy.md showing the embedded default policy exactly as it is.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, join, normalize, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_POLICY_YAML } from '../../src/policy/default-policy.js';
import { PUBLISHED } from '../../src/rules/distroless-fit.js';
import { documentationPages, readPage, ROOT } from '../support/docs.js';

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens. */
const anchorOf = (heading: string): string => heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s-]/gu, '').replace(/\s/g, '-');

function anchorsOf(page: string): Set<string> {
  const text = readPage(page).replace(/```[\s\S]*?```/g, '');
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchorOf(m[1] ?? '')));
}

describe('the documentation', () => {
  it('keeps the README a front page (what and why, quick start, commands, install pointer, links)', () => {
    const lines = readPage('README.md').split('\n').length;
    assert.ok(lines <= 160, `README.md has ${lines} lines: move the detail to a page of docs/`);
  });

  it('shows the embedded default policy verbatim in docs/policy.md', () => {
    assert.ok(readPage('docs/policy.md').includes(`\`\`\`yaml\n${DEFAULT_POLICY_YAML}\`\`\``), 'docs/policy.md shows the exact default policy');
  });

  it('lists in docs/policy.md the distroless images a fix may name, as src/rules/distroless-fit.ts has them', () => {
    const page = readPage('docs/policy.md');
    for (const { debian, images } of PUBLISHED) assert.ok(page.includes(`| ${debian} | ${images.join(', ')} |`), `Debian ${debian}: ${images.join(', ')}`);
  });

  for (const page of documentationPages()) {
    it(`${page}: every relative link leads to a file, and every #anchor to a heading`, () => {
      const broken: string[] = [];
      for (const [, target = ''] of readPage(page).matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target)) continue;
        const [path = '', anchor] = target.split('#');
        const file = path === '' ? page : normalize(join(dirname(page), path));
        if (!existsSync(resolve(ROOT, file))) broken.push(`${target}: no ${file}`);
        else if (anchor !== undefined && file.endsWith('.md') && !anchorsOf(file).has(anchor)) broken.push(`${target}: no heading #${anchor} in ${file}`);
      }
      assert.deepEqual(broken, []);
    });
  }
});
