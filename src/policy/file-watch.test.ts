import assert from 'node:assert/strict';
import { mkdtemp, rename, rm, symlink, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { watchTextFile } from './file-watch.js';

async function until(what: string, probe: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Writes a file whole, by rename, so that a poll never reads it half-written. */
async function replace(path: string, text: string): Promise<void> {
  await writeFile(`${path}.tmp`, text);
  await rename(`${path}.tmp`, path);
}

describe('watchTextFile', () => {
  it('sees a ConfigMap-style update (the ..data symlink swapped), reports errors once, and only real changes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dg-file-watch-'));
    try {
      // The kubelet's layout: policy.yaml -> ..data/policy.yaml, ..data -> ..2026_v1 (swapped atomically by rename).
      await mkdir(join(dir, '..v1'));
      await writeFile(join(dir, '..v1', 'policy.yaml'), 'one');
      await symlink('..v1', join(dir, '..data'));
      await symlink('..data/policy.yaml', join(dir, 'policy.yaml'));
      const changes: string[] = [];
      const errors: string[] = [];
      const watch = watchTextFile(join(dir, 'policy.yaml'), {
        intervalMs: 20,
        initial: 'one',
        onChange: (t) => changes.push(t),
        onError: (e) => errors.push(String(e)),
      });
      try {
        await sleep(100);
        assert.deepEqual(changes, [], 'the initial text is not a change');
        await mkdir(join(dir, '..v2'));
        await writeFile(join(dir, '..v2', 'policy.yaml'), 'two');
        await symlink('..v2', join(dir, '..data_tmp'));
        await rename(join(dir, '..data_tmp'), join(dir, '..data'));
        await until('update seen', () => changes.length === 1);
        assert.deepEqual(changes, ['two']);
        await rm(join(dir, '..v2', 'policy.yaml'));
        await sleep(150);
        assert.equal(errors.length, 1, `an unreadable file is reported once: ${errors.join()}`);
        await replace(join(dir, '..v2', 'policy.yaml'), 'two');
        await sleep(100);
        await replace(join(dir, '..v2', 'policy.yaml'), 'three');
        await until('the next update seen', () => changes.length === 2);
        assert.deepEqual(changes, ['two', 'three'], 'the same text back is not a change; the next different text is');
      } finally {
        watch.stop();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
