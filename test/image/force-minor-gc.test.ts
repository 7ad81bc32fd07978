/**
 * src/image/layers/force-minor-gc.ts: with --expose-gc (the guard's runtime flag) layer data read triggers young-generation
 * collections every 4 MiB; without it, nothing. Counted by Node's own GC performance entries in a child process.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';

const ROOT = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);

const SCRIPT = `
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { forceMinorGcEvery4MiB } from ${JSON.stringify(resolve(ROOT, 'src/image/layers/force-minor-gc.ts'))};
let minor = 0;
const observer = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) if (entry.detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) minor++;
});
observer.observe({ entryTypes: ['gc'] });
for (let i = 0; i < Number(process.env.MIB); i++) forceMinorGcEvery4MiB(1024 * 1024); // MIB MiB of layer data, 1 MiB at a time
setTimeout(() => { observer.disconnect(); console.log(minor); }, 200);
`;

/** Young-generation collections in a child that reads `mib` MiB of layer data, beyond those of one that reads none. */
async function minorCollections(flags: readonly string[], mib: number): Promise<number> {
  const node = resolve(ROOT, 'node_modules/.bin/node');
  const count = async (n: number): Promise<number> => {
    const { stdout } = await run(node, [...flags, '--import', 'tsx', '--input-type=module', '-e', SCRIPT], {
      cwd: ROOT,
      timeout: 60_000,
      env: { ...process.env, MIB: String(n) },
    });
    return Number(stdout.trim());
  };
  const [reading, idle] = await Promise.all([count(mib), count(0)]);
  return reading - idle;
}

describe('memory of layer scans', () => {
  it('with --expose-gc, 64 MiB of layer data collects the young generation 16 times (every 4 MiB)', async () => {
    // 64 MiB / 4 MiB; V8's own collections (start-up, the observer) may differ by one between the two children.
    const forced = await minorCollections(['--expose-gc'], 64);
    assert.ok(Math.abs(forced - 16) <= 1, `${forced} collections`);
  });

  it('without it, reading layer data collects nothing more', async () => {
    assert.ok(Math.abs(await minorCollections([], 64)) <= 1);
  });
});
