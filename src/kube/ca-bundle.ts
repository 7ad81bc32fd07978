import { AdmissionregistrationV1Api, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { abortable } from '../shared/abortable.js';
import { patchOps, type JsonPatchOperation } from '../shared/json-patch.js';
import { describeKubeError } from './api-error.js';

export type WebhookConfigurationKind = 'ValidatingWebhookConfiguration' | 'MutatingWebhookConfiguration';

export interface WebhookConfigurationRef {
  readonly kind: WebhookConfigurationKind;
  readonly name: string;
}

/** The part of a webhook configuration the caBundle lives in. */
export interface WebhooksView {
  readonly webhooks?: ReadonlyArray<{ readonly name: string; readonly clientConfig?: { readonly caBundle?: string } }>;
}

/**
 * A JSON patch setting every webhook's caBundle to `caBundle` (base64 PEM), or none when all are right already.
 * Each change is guarded by a `test` of the webhook's name, so a configuration edited between our read and our
 * patch makes the API server refuse the patch instead of writing into the wrong webhook.
 */
export function planCaBundlePatch(configuration: WebhooksView, caBundle: string): JsonPatchOperation[] {
  return (configuration.webhooks ?? []).flatMap((webhook, i) =>
    webhook.clientConfig?.caBundle === caBundle
      ? []
      : [patchOps.test(['webhooks', i, 'name'], webhook.name), patchOps.add(['webhooks', i, 'clientConfig', 'caBundle'], caBundle)],
  );
}

export type CaBundleResult = 'unchanged' | 'patched';

export interface CaBundleClient {
  /** Reads the configuration and patches the caBundle of each of its webhooks that differs. */
  reconcile(ref: WebhookConfigurationRef, caBundle: string, signal: AbortSignal): Promise<CaBundleResult>;
}

export class CaBundleError extends Error {
  override readonly name = 'CaBundleError';
}

const FIELD_MANAGER = 'distroless-guard';

/** The API calls (RBAC: get and patch, restricted by resourceNames to the guard's own configurations). */
export function kubeCaBundleClient(kubeConfig: KubeConfig): CaBundleClient {
  const api = kubeConfig.makeApiClient(AdmissionregistrationV1Api);
  const jsonPatch = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);
  return {
    async reconcile(ref, caBundle, signal) {
      try {
        const current: WebhooksView =
          ref.kind === 'ValidatingWebhookConfiguration'
            ? await abortable(api.readValidatingWebhookConfiguration({ name: ref.name }), signal)
            : await abortable(api.readMutatingWebhookConfiguration({ name: ref.name }), signal);
        const body = planCaBundlePatch(current, caBundle);
        if (body.length === 0) return 'unchanged';
        const request = { name: ref.name, body, fieldManager: FIELD_MANAGER };
        await abortable(
          ref.kind === 'ValidatingWebhookConfiguration' ? api.patchValidatingWebhookConfiguration(request, jsonPatch) : api.patchMutatingWebhookConfiguration(request, jsonPatch),
          signal,
        );
        return 'patched';
      } catch (err) {
        throw new CaBundleError(`${ref.kind} ${ref.name}: ${describeKubeError(err)}`, { cause: err });
      }
    },
  };
}

export interface CaBundleReconcilerOptions {
  readonly client: CaBundleClient;
  readonly configurations: readonly WebhookConfigurationRef[];
  /** The CA certificate(s) PEM to trust; read on every round, so a rotated CA file is picked up. */
  readonly readCa: () => Promise<Buffer>;
  /** Between rounds once in place; default 60 s. */
  readonly intervalMs?: number;
  /** First retry after a failed round (doubling up to the interval); default 1 s. */
  readonly retryMs?: number;
  /** Per API call. */
  readonly callTimeoutMs?: number;
  readonly onRound: (outcome: CaBundleRound) => void;
}

export type CaBundleRound =
  | { readonly kind: 'ok'; readonly results: ReadonlyArray<{ readonly ref: WebhookConfigurationRef; readonly result: CaBundleResult }> }
  /** `results`: the configurations reconciled in this round before the failure (their patches did happen). */
  | { readonly kind: 'error'; readonly error: unknown; readonly ref?: WebhookConfigurationRef; readonly results: ReadonlyArray<{ readonly ref: WebhookConfigurationRef; readonly result: CaBundleResult }> };

export interface CaBundleReconciler {
  /** Resolves after the first successful round (or never, if none succeeds: see readiness). */
  readonly firstSuccess: Promise<void>;
  stop(): void;
}

/**
 * Keeps the webhook configurations' caBundle equal to the CA file: at start-up, then every interval (so a
 * `kubectl apply` that emptied it, or a rotated CA, is repaired). Every replica does this; the writes are
 * idempotent, so replicas need no coordination.
 */
export function startCaBundleReconciler(options: CaBundleReconcilerOptions): CaBundleReconciler {
  const intervalMs = options.intervalMs ?? 60_000;
  const callTimeoutMs = options.callTimeoutMs ?? 10_000;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const firstRetryMs = options.retryMs ?? 1_000;
  let retryMs = firstRetryMs;
  let markFirst: () => void = () => undefined;
  const firstSuccess = new Promise<void>((resolve) => {
    markFirst = resolve;
  });

  async function round(): Promise<void> {
    let ref: WebhookConfigurationRef | undefined;
    const results: Array<{ ref: WebhookConfigurationRef; result: CaBundleResult }> = [];
    try {
      const caBundle = (await options.readCa()).toString('base64');
      for (ref of options.configurations) results.push({ ref, result: await options.client.reconcile(ref, caBundle, AbortSignal.timeout(callTimeoutMs)) });
      options.onRound({ kind: 'ok', results });
      markFirst();
      retryMs = firstRetryMs;
      schedule(intervalMs);
    } catch (error) {
      options.onRound(ref ? { kind: 'error', error, ref, results } : { kind: 'error', error, results });
      schedule(Math.min(retryMs, intervalMs));
      retryMs = Math.min(retryMs * 2, intervalMs);
    }
  }

  function schedule(ms: number): void {
    if (stopped) return;
    timer = setTimeout(() => void round(), ms);
    timer.unref();
  }

  void round();
  return {
    firstSuccess,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
