import type { CaBundleClient, CaBundleResult, WebhookConfigurationRef } from './ca-bundle.js';
import { certificateFacts, nextCertificateSecret, readCertificateSecret, type CertificateNames } from './certificate-material.js';
import { planCertificates, type CertificateAction, type CertificatePolicy } from './certificate-plan.js';
import { CertificateSecretError, type CertificateSecretClient } from './certificate-secret.js';

export interface CertificateManagerOptions {
  readonly secret: CertificateSecretClient;
  readonly caBundle: CaBundleClient;
  /** The webhook configurations whose caBundle is the Secret's ca.crt. */
  readonly configurations: readonly WebhookConfigurationRef[];
  readonly names: CertificateNames;
  readonly policy: CertificatePolicy;
  /** Only the leader (Lease election) acts; the others only serve what the Secret holds. */
  readonly isLeader: () => boolean;
  /** Between looks when nothing falls due sooner (a caBundle emptied by `kubectl apply` is repaired then). */
  readonly intervalMs: number;
  /** Per API call; default 10 s. */
  readonly callTimeoutMs?: number;
  /** An action was written to the Secret. */
  readonly onAction?: (action: CertificateAction) => void;
  /** Each caBundle reconciliation, for metrics and logs. */
  readonly onCaBundle?: (ref: WebhookConfigurationRef, result: CaBundleResult | 'error') => void;
  readonly onError: (error: unknown) => void;
}

export interface CertificateManager {
  /** Looks now (e.g. on becoming the leader). */
  kick(): void;
  stop(): Promise<void>;
}

/** A failed round is retried after this, doubling up to the interval. */
const FIRST_RETRY_MS = 500;

/**
 * The I/O around planCertificates, run by the leader: read the Secret, keep the webhook configurations' caBundle
 * equal to its ca.crt, plan, carry the action out and write the Secret back (refused if it changed meanwhile), then
 * look again at once, so a rotation goes through its steps as fast as the plan allows. Only the leader writes the
 * caBundle in this mode: a replica that read the Secret a moment too early would put an older bundle back.
 */
export function startCertificateManager(options: CertificateManagerOptions): CertificateManager {
  const callTimeoutMs = options.callTimeoutMs ?? 10_000;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let retryMs = FIRST_RETRY_MS;
  /** A kick that came while a round ran: run again right after it. */
  let again = false;
  /** Writes since the plan last said `none`: a plan that never settles must not write in a tight loop. */
  let writesInARow = 0;
  /** The bundle this leader has seen in every webhook configuration, and since when. */
  let inPlace: { bundle: string; since: number } | undefined;

  async function round(): Promise<number> {
    if (!options.isLeader()) {
      inPlace = undefined;
      return options.intervalMs;
    }
    const signal = (): AbortSignal => AbortSignal.timeout(callTimeoutMs);
    const current = await options.secret.read(signal());
    const view = readCertificateSecret(current.data, current.annotations, options.names);
    // The CAs as parsed: whatever else an edit left in ca.crt never reaches kube-apiserver.
    const bundle = view.bundle.length > 0 ? Buffer.from(view.bundle.map((ca) => ca.pem).join('')).toString('base64') : undefined;
    if (bundle !== undefined) {
      let patched = false;
      for (const ref of options.configurations) {
        // Leadership can pass during a round: a former leader must not put back the bundle it read.
        if (!options.isLeader()) return options.intervalMs;
        let result: CaBundleResult;
        try {
          result = await options.caBundle.reconcile(ref, bundle, signal());
        } catch (err) {
          options.onCaBundle?.(ref, 'error');
          throw err;
        }
        options.onCaBundle?.(ref, result);
        patched ||= result === 'patched';
      }
      if (patched || inPlace?.bundle !== bundle) inPlace = { bundle, since: Date.now() };
    }
    const now = Date.now();
    const action = planCertificates(certificateFacts(view, now, inPlace?.bundle === bundle ? inPlace?.since : undefined), options.policy);
    if (action.kind === 'none') {
      writesInARow = 0;
      return Math.max(0, Math.min(options.intervalMs, (action.recheckAt ?? Infinity) - now));
    }
    // A rotation is at most four writes in a row (start, switch, finish, a renewal); more is a plan that does not
    // settle (a name the certificate cannot carry, a clock gone wrong): say so and slow down instead of spinning.
    if (++writesInARow > 4) {
      writesInARow = 0;
      options.onError(new Error(`the certificate plan does not settle: ${action.kind} again (${action.reason}); looking again in ${options.intervalMs} ms`));
      return options.intervalMs;
    }
    const next = await nextCertificateSecret({ ...current, view }, action, options.names, options.policy, new Date(now));
    if (!options.isLeader()) return options.intervalMs;
    await options.secret.write(current, next, signal());
    options.onAction?.(action);
    return 0;
  }

  function schedule(ms: number): void {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(run, ms);
    timer.unref();
  }

  function run(): void {
    if (stopped) return;
    if (running !== undefined) {
      again = true;
      return;
    }
    again = false;
    running = round().then(
      (nextMs) => {
        retryMs = FIRST_RETRY_MS;
        return nextMs;
      },
      (err: unknown) => {
        // A conflict is another writer (a former leader, an operator) getting there first: read again soon, quietly.
        if (!(err instanceof CertificateSecretError && err.conflict)) options.onError(err);
        const wait = Math.min(retryMs, options.intervalMs);
        retryMs = Math.min(retryMs * 2, options.intervalMs);
        return wait;
      },
    ).then((nextMs) => {
      running = undefined;
      schedule(again ? 0 : nextMs);
    });
  }

  run();
  return {
    kick: () => schedule(0),
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
