import assert from 'node:assert/strict';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeAtomically } from './write-atomically.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dg-write-'));
});
after(() => rm(dir, { recursive: true, force: true }));

describe('writeAtomically', () => {
  it('never writes through a symlink planted at the temporary name the old code predicted', async () => {
    const victim = join(dir, 'victim');
    await writeFile(victim, 'do not touch');
    const target = join(dir, 'tls.key');
    // The attack on `${path}.${pid}.tmp`: a symlink there made the key land in (and take the mode of) the victim.
    const planted = `${target}.${process.pid}.tmp`;
    await symlink(victim, planted);
    await writeAtomically(target, 'private key', 0o600);
    assert.equal(await readFile(victim, 'utf8'), 'do not touch');
    assert.equal(await readFile(target, 'utf8'), 'private key');
    assert.equal((await lstat(target)).isSymbolicLink(), false);
    assert.equal((await stat(target)).mode & 0o777, 0o600);
    assert.equal((await lstat(planted)).isSymbolicLink(), true, 'the planted link is left alone, not followed');
    await rm(planted);
  });

  it('replaces an existing file and leaves no temporary file behind', async () => {
    const target = join(dir, 'tls.crt');
    await writeFile(target, 'old');
    await writeAtomically(target, 'new', 0o644);
    assert.equal(await readFile(target, 'utf8'), 'new');
    assert.deepEqual((await readdir(dir)).filter((name) => name.endsWith('.tmp')), []);
  });

  it('leaves no temporary file behind when the rename fails', async () => {
    const target = join(dir, 'occupied');
    await mkdir(target);
    await writeFile(join(target, 'inside'), 'x');
    await assert.rejects(writeAtomically(target, 'content', 0o644));
    assert.deepEqual((await readdir(dir)).filter((name) => name.endsWith('.tmp')), []);
    assert.equal(await readFile(join(target, 'inside'), 'utf8'), 'x');
  });

  it('uses a new temporary name every time: concurrent writers of one path never collide', async () => {
    const target = join(dir, 'policy.yaml');
    await Promise.all(Array.from({ length: 20 }, (_, i) => writeAtomically(target, `version ${i}`, 0o644)));
    assert.match(await readFile(target, 'utf8'), /^version \d+$/);
    assert.deepEqual((await readdir(dir)).filter((name) => name.endsWith('.tmp')), []);
  });
});
