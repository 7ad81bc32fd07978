import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { main } from '../../../src/cli/main.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dg-certs-existing-'));
});
after(() => rm(dir, { recursive: true, force: true }));

async function certs(args: string[]): Promise<{ code: number; stderr: string }> {
  const stderr = new PassThrough();
  const chunks: Buffer[] = [];
  stderr.on('data', (c: Buffer) => chunks.push(c));
  const code = await main(['certs', ...args], { stdout: new PassThrough(), stderr, env: {}, cwd: dir });
  return { code, stderr: Buffer.concat(chunks).toString() };
}

describe('certs keeps every existing output file unless --force', () => {
  const table: Array<[string, string, (out: string) => Promise<void>]> = [
    ['only secret.yaml exists (already applied to the cluster)', 'secret.yaml', (out) => writeFile(join(out, 'secret.yaml'), 'kept\n')],
    ['only ca.crt exists (already a caBundle)', 'ca.crt', (out) => writeFile(join(out, 'ca.crt'), 'kept\n')],
    ['only webhooks.yaml exists', 'webhooks.yaml', (out) => writeFile(join(out, 'webhooks.yaml'), 'kept\n')],
    ['tls.crt is a dangling symlink', 'tls.crt', (out) => symlink(join(out, 'nowhere'), join(out, 'tls.crt'))],
  ];
  for (const [name, file, plant] of table) {
    it(`${name}: refused, naming ${file}, and nothing is written`, async () => {
      const out = join(dir, file.replace('.', '-'));
      await mkdir(out);
      await plant(out);
      const before = (await readdir(out)).sort();
      const result = await certs(['--out', out]);
      assert.equal(result.code, 1);
      assert.equal(result.stderr, `distroless-guard certs: ${join(out, file)} exists; keeping it (use --force to replace the CA and certificate)\n`);
      assert.deepEqual((await readdir(out)).sort(), before);
    });
  }

  it('with --force the existing file is replaced and every file is written', async () => {
    const out = join(dir, 'forced');
    await mkdir(out);
    await writeFile(join(out, 'secret.yaml'), 'kept\n');
    const result = await certs(['--out', out, '--force']);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual((await readdir(out)).sort(), ['ca.crt', 'secret.yaml', 'tls.crt', 'tls.key', 'webhooks.yaml']);
    assert.match(await readFile(join(out, 'secret.yaml'), 'utf8'), /kind: Secret/);
  });
});
