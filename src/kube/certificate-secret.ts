import { createHash } from 'node:crypto';
import { CoreV1Api, type KubeConfig, type V1Secret } from '@kubernetes/client-node';
import { parseTlsPair, type TlsPair } from '../server/tls/pair.js';
import { abortable } from '../shared/abortable.js';
import { describeKubeError, kubeErrorCode } from './api-error.js';
import { SECRET_KEYS, type SecretData } from './certificate-material.js';

/** `--certificate-secret NAMESPACE/NAME`. */
export interface SecretRef {
  readonly namespace: string;
  readonly name: string;
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** NAMESPACE/NAME, each a valid Kubernetes name; undefined otherwise. */
export function parseSecretRef(text: string): SecretRef | undefined {
  const [namespace = '', name = '', ...rest] = text.split('/');
  return rest.length === 0 && DNS1123_LABEL.test(namespace) && DNS1123_SUBDOMAIN.test(name) ? { namespace, name } : undefined;
}

/** The Secret as read, with what a replace needs to be refused if someone wrote in between (resourceVersion). */
export interface CertificateSecret {
  readonly data: SecretData;
  readonly annotations: Readonly<Record<string, string>>;
  readonly object: V1Secret;
}

export class CertificateSecretError extends Error {
  override readonly name = 'CertificateSecretError';
  /** 409: another writer got there first; read again. */
  readonly conflict: boolean;
  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
    this.conflict = kubeErrorCode(options.cause) === 409;
  }
}

export interface CertificateSecretClient {
  read(signal: AbortSignal): Promise<CertificateSecret>;
  /** Replaces data and annotations, refused (conflict) if the Secret changed since `current` was read. */
  write(current: CertificateSecret, next: { data: Record<string, string>; annotations: Record<string, string> }, signal: AbortSignal): Promise<void>;
}

/**
 * The API calls on the one Secret (RBAC: get and update, restricted by resourceNames). A missing Secret is an
 * install error, not something to create: creating cannot be narrowed to one name.
 */
export function kubeCertificateSecretClient(kubeConfig: KubeConfig, ref: SecretRef): CertificateSecretClient {
  const api = kubeConfig.makeApiClient(CoreV1Api);
  const where = `Secret ${ref.namespace}/${ref.name}`;
  return {
    async read(signal) {
      try {
        const object = await abortable(api.readNamespacedSecret({ name: ref.name, namespace: ref.namespace }), signal);
        return { data: object.data ?? {}, annotations: object.metadata?.annotations ?? {}, object };
      } catch (err) {
        const hint = kubeErrorCode(err) === 404 ? ' (the install creates it, empty: the leader fills it)' : '';
        throw new CertificateSecretError(`${where}: ${describeKubeError(err)}${hint}`, { cause: err });
      }
    },
    async write(current, next, signal) {
      const body: V1Secret = { ...current.object, metadata: { ...current.object.metadata, annotations: next.annotations }, data: next.data };
      try {
        await abortable(api.replaceNamespacedSecret({ name: ref.name, namespace: ref.namespace, body, fieldManager: 'distroless-guard' }), signal);
      } catch (err) {
        throw new CertificateSecretError(`${where}: ${describeKubeError(err)}`, { cause: err });
      }
    },
  };
}

export interface ServingPairWatchOptions {
  /** The pair served now (from --tls-cert/--tls-key), if any: the watch reports only a different one. */
  readonly current?: TlsPair;
  readonly intervalMs: number;
  readonly callTimeoutMs?: number;
  /** A new usable pair in the Secret after the first (which resolves `first`): serve it. */
  readonly onReload: (pair: TlsPair) => void;
  /** The Secret cannot be read, or holds a pair that cannot be used: the current one stays. Once per distinct cause. */
  readonly onError: (error: unknown) => void;
}

export interface ServingPairWatch {
  /** The first usable pair seen (at once when `current` was given). */
  readonly first: Promise<TlsPair>;
  stop(): void;
}

/**
 * Every replica serves the pair in the certificate Secret, read through the API every interval. Not the kubelet's
 * copy in a mounted volume: that is updated up to a minute or two later (kubelet sync period plus its cache), a
 * delay the CA switch would have to wait out on every replica without seeing it; read here, a replica serves a new
 * pair within one interval, which the leader's retire delay counts on (certificate-manager.ts).
 */
export function watchServingPair(client: CertificateSecretClient, options: ServingPairWatchOptions): ServingPairWatch {
  const callTimeoutMs = options.callTimeoutMs ?? 10_000;
  let applied = options.current === undefined ? undefined : contentKey(options.current.cert.toString('base64'), options.current.key.toString('base64'));
  let reported: string | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  /** Whether `first` is settled: later pairs go to onReload. */
  let started = options.current !== undefined;
  let markFirst: (pair: TlsPair) => void = () => undefined;
  const first = options.current !== undefined ? Promise.resolve(options.current) : new Promise<TlsPair>((resolve) => (markFirst = resolve));

  const report = (key: string, err: unknown): void => {
    if (reported !== key) options.onError(err);
    reported = key;
  };

  async function poll(): Promise<void> {
    try {
      const { data } = await client.read(AbortSignal.timeout(callTimeoutMs));
      const cert = data[SECRET_KEYS.cert] ?? '';
      const key = data[SECRET_KEYS.key] ?? '';
      const seen = contentKey(cert, key);
      if (seen === applied || stopped) return;
      let pair: TlsPair;
      try {
        pair = parseTlsPair(Buffer.from(cert, 'base64'), Buffer.from(key, 'base64'), `${SECRET_KEYS.cert} + ${SECRET_KEYS.key} of the certificate Secret`);
      } catch (err) {
        return report(seen, err);
      }
      applied = seen;
      reported = undefined;
      if (!started) {
        started = true;
        return markFirst(pair);
      }
      options.onReload(pair);
    } catch (err) {
      report(`unreadable:${err instanceof Error ? err.message : String(err)}`, err);
    } finally {
      if (!stopped) {
        timer = setTimeout(() => void poll(), options.intervalMs);
        // While nothing is served yet, the wait for a first pair is what keeps the process alive.
        if (started) timer.unref();
      }
    }
  }

  void poll();
  return {
    first,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

function contentKey(certBase64: string, keyBase64: string): string {
  return createHash('sha256').update(certBase64).update('\0').update(keyBase64).digest('hex');
}
