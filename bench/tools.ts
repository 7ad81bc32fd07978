/** What both benchmarks need from the machine, and the shape of their PASS/FAIL rows. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { trackDir, untrackDir } from '../test/support/cleanup.js';
import { startRegistry, type TestRegistry } from '../test/support/registry.js';
import { table } from './measure.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** One row of a benchmark's results table. */
export interface Verdict {
  readonly target: string;
  readonly measured: string;
  readonly goal: string;
  readonly pass: boolean;
}

export function has(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Installs what is missing: the test dependencies (scripts/test-deps.sh) when any of `testCommands` is absent, and
 * each of `aptPackages` (named after the command it provides) through apt-get, as root can here.
 */
export function ensureTools(testCommands: readonly string[], aptPackages: readonly string[], log: (line: string) => void): void {
  if (testCommands.some((c) => !has(c))) {
    log('installing test dependencies (scripts/test-deps.sh)…');
    execFileSync('sh', [join(ROOT, 'scripts/test-deps.sh')], { stdio: 'inherit' });
  }
  for (const name of aptPackages.filter((p) => !has(p))) {
    log(`installing ${name}…`);
    const policy = execFileSync('apt-cache', ['policy', name], { encoding: 'utf8' });
    if (!/Candidate: (?!\(none\))\S+/.test(policy)) execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', name], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  }
}

/** The closing results table of a benchmark; exit code 1 when it failed or any target was missed. */
export function reportResults(verdicts: readonly Verdict[], failed: boolean, startedMs: number, log: (line: string) => void): void {
  log('\n== Results');
  log(table(['target', 'measured (medians, same run)', 'goal', 'result'], verdicts.map((v) => [v.target, v.measured, v.goal, v.pass ? 'PASS' : 'FAIL'])));
  log(`total wall time ${((performance.now() - startedMs) / 1000).toFixed(1)} s`);
  if (failed || verdicts.some((v) => !v.pass)) process.exitCode = 1;
}

/**
 * The frame of a benchmark: a scratch directory and a real registry for `body`, both removed afterwards whatever
 * happens; then the results table (exit code 1 when `body` threw or a target was missed).
 */
export async function runBenchmark(
  scratchPrefix: string,
  verdicts: readonly Verdict[],
  log: (line: string) => void,
  body: (work: string, registry: TestRegistry) => Promise<void>,
): Promise<void> {
  const started = performance.now();
  const work = mkdtempSync(join(tmpdir(), scratchPrefix));
  trackDir(work);
  const registry = await startRegistry();
  let failed = false;
  try {
    await body(work, registry);
  } catch (error) {
    failed = true;
    console.error(error);
  } finally {
    await registry.stop();
    rmSync(work, { recursive: true, force: true });
    untrackDir(work);
  }
  reportResults(verdicts, failed, started, log);
}
