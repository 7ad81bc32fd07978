import { CoordinationV1Api, type KubeConfig, type V1Lease } from '@kubernetes/client-node';

export interface LeaderElectionOptions {
  readonly namespace: string;
  readonly leaseName: string;
  /** This replica (the pod name). */
  readonly identity: string;
  /** client-go's defaults: 15 s lease, renew every 2 s, give up leading after 10 s without a renewal. */
  readonly leaseDurationMs?: number;
  readonly retryPeriodMs?: number;
  readonly renewDeadlineMs?: number;
  readonly onStartedLeading?: () => void;
  readonly onStoppedLeading?: () => void;
  readonly onError?: (error: unknown) => void;
}

export interface LeaderElection {
  isLeader(): boolean;
  /** Stops campaigning; a leader releases the lease so another replica takes over at once. */
  stop(): Promise<void>;
}

/**
 * Lease-based leader election (coordination.k8s.io/v1), the protocol of client-go's leaderelection package, which
 * @kubernetes/client-node 2.0 does not ship: acquire or renew the Lease with optimistic concurrency (a replace
 * carrying the resourceVersion read; a 409 means another replica wrote first). A held lease counts as expired
 * when its record has not changed for leaseDuration of *our* clock since we first saw it, so clock skew between
 * nodes cannot hand the lease to two replicas.
 */
export function startLeaderElection(kubeConfig: KubeConfig, options: LeaderElectionOptions): LeaderElection {
  const api = kubeConfig.makeApiClient(CoordinationV1Api);
  const leaseDurationMs = options.leaseDurationMs ?? 15_000;
  const retryPeriodMs = options.retryPeriodMs ?? 2_000;
  const renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
  const { namespace, leaseName: name, identity } = options;

  let leading = false;
  let lastRenewal = 0;
  let observed: { record: string; at: number } | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  /** The attempt in flight: stop() waits for it, or its renewal would land after the release and void it (409). */
  let attempt: Promise<void> | undefined;

  const setLeading = (next: boolean): void => {
    if (next === leading) return;
    leading = next;
    if (next) options.onStartedLeading?.();
    else options.onStoppedLeading?.();
  };

  const spec = (previous: V1Lease | undefined, now: Date): V1Lease['spec'] => {
    const sameHolder = previous?.spec?.holderIdentity === identity;
    return {
      holderIdentity: identity,
      leaseDurationSeconds: Math.ceil(leaseDurationMs / 1000),
      acquireTime: (sameHolder ? previous?.spec?.acquireTime : microTime(now)) as unknown as Date,
      renewTime: microTime(now) as unknown as Date,
      leaseTransitions: (previous?.spec?.leaseTransitions ?? 0) + (sameHolder || previous === undefined ? 0 : 1),
    };
  };

  async function tryAcquireOrRenew(): Promise<boolean> {
    const now = new Date();
    let current: V1Lease | undefined;
    try {
      current = await api.readNamespacedLease({ name, namespace });
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
    }
    if (current === undefined) {
      await api.createNamespacedLease({ namespace, body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace }, spec: spec(undefined, now) } });
      return true;
    }
    const holder = current.spec?.holderIdentity ?? '';
    const record = JSON.stringify([holder, String(current.spec?.renewTime ?? ''), current.metadata?.resourceVersion]);
    if (observed?.record !== record) observed = { record, at: Date.now() };
    const heldByOther = holder !== '' && holder !== identity;
    const duration = (current.spec?.leaseDurationSeconds ?? leaseDurationMs / 1000) * 1000;
    if (heldByOther && Date.now() - observed.at < duration) return false;
    await api.replaceNamespacedLease({ name, namespace, body: { ...current, spec: spec(current, now) } });
    return true;
  }

  async function tick(): Promise<void> {
    try {
      const acquired = await tryAcquireOrRenew();
      if (acquired) lastRenewal = Date.now();
      setLeading(acquired || (leading && Date.now() - lastRenewal < renewDeadlineMs));
    } catch (err) {
      // A 409 is another replica's write winning the race: not an error worth a log line.
      if (statusOf(err) !== 409) options.onError?.(err);
      if (leading && Date.now() - lastRenewal >= renewDeadlineMs) setLeading(false);
    }
    if (!stopped) {
      timer = setTimeout(runAttempt, retryPeriodMs);
      timer.unref();
    }
  }
  const runAttempt = (): void => {
    attempt = tick();
  };
  runAttempt();

  return {
    isLeader: () => leading,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await attempt;
      if (!leading) return;
      setLeading(false);
      // client-go's ReleaseOnCancel: an empty holder lets the next candidate acquire without waiting. A 409 is a
      // write that landed between our read and replace (a renewal of ours still in the API server): read again.
      for (let tries = 2; tries > 0; tries--) {
        try {
          const current = await api.readNamespacedLease({ name, namespace });
          if (current.spec?.holderIdentity !== identity) return;
          await api.replaceNamespacedLease({ name, namespace, body: { ...current, spec: { ...current.spec, holderIdentity: '', leaseDurationSeconds: 1 } } });
          return;
        } catch (err) {
          if (statusOf(err) !== 409 || tries === 1) options.onError?.(err);
        }
      }
    },
  };
}

/**
 * metav1.MicroTime is parsed with RFC 3339 and exactly six fractional digits; Date#toISOString (what client-node
 * would send for a Date) has three.
 */
export function microTime(date: Date): string {
  return `${date.toISOString().slice(0, -1)}000Z`;
}

function statusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown; statusCode?: unknown }).code ?? (err as { statusCode?: unknown }).statusCode;
  return typeof code === 'number' ? code : undefined;
}
