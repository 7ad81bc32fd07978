import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parseTlsPair, type TlsFiles, type TlsPair } from './pair.js';

export interface TlsWatchOptions {
  /** The pair in use now. */
  readonly current: TlsPair;
  /** How often the files are read; default 10 s. */
  readonly intervalMs?: number;
  /** A new, valid pair: serve it. */
  readonly onReload: (pair: TlsPair) => void;
  /** A new pair that cannot be used: the current one stays. Reported once per distinct content. */
  readonly onError: (error: unknown) => void;
}

export interface TlsWatch {
  stop(): void;
}

/**
 * Watches a certificate and key on disk (cert-manager rotation, a renewed Secret) by polling their content:
 * Kubernetes updates a mounted Secret by swapping a symlink, which file watches miss. A change is applied once two
 * consecutive reads agree (a debounce, so a pair written file by file is not judged half-way); a pair that cannot
 * be used is reported and the current one kept.
 */
export function watchTlsFiles(files: TlsFiles, options: TlsWatchOptions): TlsWatch {
  const intervalMs = options.intervalMs ?? 10_000;
  let applied = contentKey(options.current.cert, options.current.key);
  let pending: string | undefined;
  let rejected: string | undefined;
  let running = false;
  let stopped = false;

  async function poll(): Promise<void> {
    if (running || stopped) return;
    running = true;
    try {
      const [cert, key] = await Promise.all([readFile(files.certPath), readFile(files.keyPath)]);
      const seen = contentKey(cert, key);
      if (seen === applied || seen === rejected || stopped) {
        pending = undefined;
        return;
      }
      if (seen !== pending) {
        pending = seen;
        return;
      }
      pending = undefined;
      try {
        const pair = parseTlsPair(cert, key, `${files.certPath} + ${files.keyPath}`);
        applied = seen;
        rejected = undefined;
        options.onReload(pair);
      } catch (err) {
        rejected = seen;
        options.onError(err);
      }
    } catch (err) {
      // Unreadable for a moment (a Secret volume between updates): try again at the next tick, report it once.
      const key = `unreadable:${err instanceof Error ? err.message : String(err)}`;
      if (rejected !== key) options.onError(err);
      rejected = key;
    } finally {
      running = false;
    }
  }

  const timer = setInterval(() => void poll(), intervalMs);
  timer.unref();
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}

function contentKey(cert: Buffer, key: Buffer): string {
  return createHash('sha256').update(cert).update('\0').update(key).digest('hex');
}
