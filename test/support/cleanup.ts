/**
 * Last-resort cleanup for what the test bed starts: child processes and temp dirs are released when the test process
 * exits, even if a test forgot to stop them or failed half-way. Normal code calls the owner's stop() instead.
 */
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

const children = new Set<ChildProcess>();
const dirs = new Set<string>();
let installed = false;

function releaseAll(): void {
  for (const child of children) child.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  children.clear();
  dirs.clear();
}

function install(): void {
  if (installed) return;
  installed = true;
  // 'exit' handlers must be synchronous: kill() and rmSync() are.
  process.on('exit', releaseAll);
  // A signal ends the process without 'exit'. When nobody else listens, clean up and re-raise it so the process
  // still dies the default way; when someone does (seed-main.ts), leave it to them.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    const onSignal = () => {
      if (process.listenerCount(signal) > 1) return;
      releaseAll();
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

export function trackChild(child: ChildProcess): void {
  install();
  children.add(child);
  child.once('exit', () => children.delete(child));
}

export function untrackChild(child: ChildProcess): void {
  children.delete(child);
}

export function trackDir(dir: string): void {
  install();
  dirs.add(dir);
}

export function untrackDir(dir: string): void {
  dirs.delete(dir);
}
