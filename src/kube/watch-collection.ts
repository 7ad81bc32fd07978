import { ListWatch, Watch, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';

export interface WatchCollectionOptions<T extends KubernetesObject> {
  /** Called with the whole current collection after the first list and after every change (coalesced per tick). */
  readonly onChange: (objects: readonly T[]) => void;
  readonly onError?: (error: unknown) => void;
  /** Delay before restarting after an error the informer gives up on (anything but 410 Gone and timeouts). */
  readonly retryMs?: number;
}

export interface WatchedCollection<T extends KubernetesObject> {
  /** True once the first list has been applied. */
  synced(): boolean;
  /** Resolves after the first list has been applied. */
  readonly firstSync: Promise<void>;
  list(): readonly T[];
  stop(): Promise<void>;
}

/**
 * List + watch of one collection with @kubernetes/client-node's ListWatch, which relists on 410 Gone and reconnects
 * after a watch timeout by itself. On any other error it stops (it calls the error handlers and does not restart):
 * here it is restarted after `retryMs`, so an API server outage never leaves the guard with a dead watch.
 */
export function watchCollection<T extends KubernetesObject>(
  kubeConfig: KubeConfig,
  path: string,
  list: () => Promise<KubernetesListObject<T>>,
  options: WatchCollectionOptions<T>,
): WatchedCollection<T> {
  const retryMs = options.retryMs ?? 2_000;
  let isSynced = false;
  let stopped = false;
  let pending = false;
  let retry: NodeJS.Timeout | undefined;
  let markSynced: () => void = () => undefined;
  const firstSync = new Promise<void>((resolve) => (markSynced = resolve));

  const informer = new ListWatch<T>(path, new Watch(kubeConfig), wrapList, false);
  const publish = (): void => {
    if (pending || !isSynced) return;
    pending = true;
    queueMicrotask(() => {
      pending = false;
      if (!stopped) options.onChange(informer.list());
    });
  };

  async function wrapList(): Promise<KubernetesListObject<T>> {
    const result = await list();
    // ListWatch applies the list synchronously once this promise settles (a few microtasks later): publish the
    // whole set after that, on the next turn of the event loop.
    setImmediate(() => {
      isSynced = true;
      if (!stopped) options.onChange(informer.list());
      markSynced();
    });
    return result;
  }

  informer.on('add', publish);
  informer.on('update', publish);
  informer.on('delete', publish);
  informer.on('error', (error: unknown) => {
    options.onError?.(error);
    if (stopped) return;
    clearTimeout(retry);
    retry = setTimeout(() => void informer.start().catch((err: unknown) => options.onError?.(err)), retryMs);
    retry.unref();
  });
  void informer.start().catch((err: unknown) => options.onError?.(err));

  return {
    synced: () => isSynced,
    firstSync,
    list: () => informer.list(),
    async stop() {
      stopped = true;
      clearTimeout(retry);
      await informer.stop();
    },
  };
}
