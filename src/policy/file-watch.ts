import { readFile } from 'node:fs/promises';

export interface FileWatch {
  stop(): void;
}

export interface WatchTextOptions {
  readonly intervalMs: number;
  /** The text the caller already loaded: only a different text is reported. */
  readonly initial: string;
  readonly onChange: (text: string) => void;
  readonly onError: (error: unknown) => void;
}

/**
 * Re-reads a small file every `intervalMs` and reports when its content changes. Polling rather than fs.watch:
 * a ConfigMap volume updates by swapping the `..data` symlink of the mount (the file's inode never changes, the
 * link it resolves through does), which inotify on the file does not see, and the kubelet's own sync period
 * (~1 min) dwarfs a poll anyway.
 */
export function watchTextFile(path: string, options: WatchTextOptions): FileWatch {
  let last = options.initial;
  let lastError: string | undefined;
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    readFile(path, 'utf8')
      .then((text) => {
        lastError = undefined;
        if (text === last) return;
        last = text;
        options.onChange(text);
      })
      .catch((err: unknown) => {
        // A file that stays unreadable is reported once, not every poll.
        const message = err instanceof Error ? err.message : String(err);
        if (message !== lastError) options.onError(err);
        lastError = message;
      })
      .finally(() => (busy = false));
  }, options.intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
