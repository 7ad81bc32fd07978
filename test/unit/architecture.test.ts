/**
 * The dependency rule (docs/architecture.md), read from the import statements of the tree itself:
 * - src/ imports nothing from test/, bench/ or scripts/, and holds no test support;
 * - a folder of src/ imports only its own stage or lower ones (STAGES, top to bottom), never a higher one;
 * - the pure tier (`npm run test:unit`: src/**\/*.test.ts and test/unit/) opens no socket and starts no process:
 *   neither its files nor the test support they reach import a server, a client or child_process.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';

const ROOT = resolve(import.meta.dirname, '../..');

/** src/ folders from the top (the CLI) to the bottom (helpers): each may import its own stage and those below. */
const STAGES: readonly (readonly string[])[] = [
  ['cli'],
  ['server', 'kube'],
  ['report'],
  ['review'],
  ['rules', 'decision'],
  ['workload', 'observe'],
  ['image'],
  ['policy', 'admission'],
  ['shared'],
];

/** What a pure test may not reach: sockets, servers, clients and other processes. */
const IMPURE_MODULES = new Set([
  'node:child_process',
  'node:cluster',
  'node:dgram',
  'node:http',
  'node:http2',
  'node:https',
  'node:net',
  'node:tls',
  'node:worker_threads',
  'supertest',
]);

function filesUnder(dir: string): string[] {
  return readdirSync(resolve(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts'))
    .map((name) => join(dir, name));
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s+(?:type\s+)?(?:[^;'"]*?\s+from\s+)?['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Every module a file imports: repository paths (a .ts file) for relative imports, the specifier for packages. */
function importsOf(file: string): string[] {
  const text = readFileSync(resolve(ROOT, file), 'utf8');
  return [...text.matchAll(IMPORT)].map((m) => {
    const specifier = m[1] ?? m[2] ?? '';
    if (specifier.startsWith('.')) return join(dirname(file), specifier).replace(/\.js$/, '.ts');
    // Node's modules also answer without their prefix ('http').
    return IMPURE_MODULES.has(`node:${specifier}`) ? `node:${specifier}` : specifier;
  });
}

const stageOf = (folder: string): number => STAGES.findIndex((stage) => stage.includes(folder));
const folderOf = (file: string): string => file.split('/')[1] ?? '';

describe('the dependency rule', () => {
  const src = filesUnder('src');

  it('places every folder of src/ in a stage', () => {
    assert.deepEqual([...new Set(src.map(folderOf))].filter((folder) => stageOf(folder) === -1), []);
  });

  it('src/ imports nothing from test/, bench/ or scripts/', () => {
    const outside = src.flatMap((file) => importsOf(file).filter((m) => /^(test|bench|scripts)\//.test(m)).map((m) => `${file} imports ${m}`));
    assert.deepEqual(outside, []);
  });

  it('src/ holds no test support (it lives under test/support)', () => {
    const support = src.filter((file) => /^\/\*\*\s*\n\s*\* Test support:/.test(readFileSync(resolve(ROOT, file), 'utf8')));
    assert.deepEqual(support, []);
  });

  it('no folder of src/ imports a folder of a higher stage', () => {
    const upward = src.flatMap((file) =>
      importsOf(file)
        .filter((m) => m.startsWith('src/') && stageOf(folderOf(m)) < stageOf(folderOf(file)))
        .map((m) => `${file} (${folderOf(file)}) imports ${m} (${folderOf(m)})`),
    );
    assert.deepEqual(upward, []);
  });
});

describe('the pure tier (npm run test:unit)', () => {
  const tier = [...filesUnder('src').filter((file) => file.endsWith('.test.ts')), ...filesUnder('test/unit').filter((file) => file.endsWith('.test.ts'))];

  /** The impure modules a file imports, itself or through the test support it imports (src/ is not followed). */
  function impureReach(file: string, seen = new Set<string>()): string[] {
    if (seen.has(file)) return [];
    seen.add(file);
    return importsOf(file).flatMap((m) => {
      if (IMPURE_MODULES.has(m)) return [`${file} imports ${m}`];
      return m.startsWith('test/') ? impureReach(m, seen) : [];
    });
  }

  it('has tests beside their code and in test/unit', () => {
    assert.ok(tier.length > 50, `${tier.length} files`);
  });

  it('opens no socket and starts no process', () => {
    assert.deepEqual(tier.flatMap((file) => impureReach(file)), []);
  });

  it('is every test file that is pure: the other tiers (test/*, not unit) each reach a socket or a process', () => {
    const others = filesUnder('test').filter((file) => file.endsWith('.test.ts') && !file.startsWith('test/unit/') && !file.startsWith('test/e2e/'));
    const pureElsewhere = others.filter((file) => impureReach(file).length === 0).map((file) => relative('test', file));
    assert.deepEqual(pureElsewhere, []);
  });
});
