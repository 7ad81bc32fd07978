import { isIP } from 'node:net';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { kubeCaBundleClient } from '../kube/ca-bundle.js';
import { startCertificateManager } from '../kube/certificate-manager.js';
import type { CertificateNames } from '../kube/certificate-material.js';
import type { CertificatePolicy } from '../kube/certificate-plan.js';
import { kubeCertificateSecretClient, parseSecretRef, watchServingPair, type SecretRef } from '../kube/certificate-secret.js';
import { startLeaderElection } from '../kube/leader.js';
import type { Metrics } from '../observe/metrics.js';
import { backdateMs, serviceDnsNames } from '../server/tls/generate.js';
import type { TlsPair } from '../server/tls/pair.js';
import { parseGoDuration } from '../server/deadline.js';
import { UsageError } from './io.js';

export interface CertificateSettings {
  readonly secret: SecretRef;
  readonly names: CertificateNames;
  readonly policy: CertificatePolicy;
}

/**
 * The settings of --certificate-secret (undefined without it). The waits of a CA rotation follow the other flags:
 * the switch waits a twentieth of the CA lifetime, at most 10 s, for every API server to see the new caBundle; the
 * old CA is retired three --tls-reload-interval after the switch, when every replica has read the new pair.
 */
export function certificateSettings(
  values: { readonly 'certificate-secret'?: string | undefined; readonly 'certificate-lifetime': string; readonly 'ca-lifetime': string; readonly 'renew-before-percentage'?: string | undefined; readonly 'certificate-ip-address': readonly string[] },
  context: { readonly service: string; readonly namespace: string; readonly reloadIntervalMs: number },
): CertificateSettings | undefined {
  const text = values['certificate-secret'];
  if (text === undefined) return undefined;
  const secret = parseSecretRef(text);
  if (secret === undefined) throw new UsageError(`--certificate-secret ${text} is not NAMESPACE/NAME`);
  const lifetime = (flag: string, value: string): number => {
    const ms = parseGoDuration(value);
    if (ms === undefined || ms < 1_000) throw new UsageError(`${flag} ${value} is not a duration of at least 1s, like 2160h`);
    return ms;
  };
  const servingLifetimeMs = lifetime('--certificate-lifetime', values['certificate-lifetime']);
  const caLifetimeMs = lifetime('--ca-lifetime', values['ca-lifetime']);
  if (caLifetimeMs < servingLifetimeMs) throw new UsageError(`--ca-lifetime ${values['ca-lifetime']} is shorter than --certificate-lifetime ${values['certificate-lifetime']}`);
  const percentage = values['renew-before-percentage'];
  const renewBefore = percentage === undefined ? undefined : Number(percentage);
  if (renewBefore !== undefined && !(renewBefore > 0 && renewBefore < 100)) throw new UsageError(`--renew-before-percentage ${String(percentage)} is not a percentage between 0 and 100`);
  for (const ip of values['certificate-ip-address']) if (isIP(ip) === 0) throw new UsageError(`--certificate-ip-address ${ip} is not an IP address`);
  return {
    secret,
    names: { dnsNames: serviceDnsNames(context.service, context.namespace), ipAddresses: values['certificate-ip-address'] },
    policy: {
      servingLifetimeMs,
      caLifetimeMs,
      renewBeforeFraction: renewBefore === undefined ? 1 / 3 : renewBefore / 100,
      switchAfterMs: Math.min(10_000, caLifetimeMs / 20),
      retireAfterMs: 3 * context.reloadIntervalMs,
      backdateMs,
    },
  };
}

/**
 * The Lease of the certificate leader (the Role in manifests/base/rbac.yaml names it). Its own, not the policy
 * status Lease: that one is only campaigned for when policies come from the cluster, while certificates need a
 * leader whatever the policy source.
 */
export const CERTIFICATE_LEASE_NAME = 'distroless-guard-certificates';

export interface CertificateSourceOptions {
  readonly kubeConfig: KubeConfig;
  readonly secret: SecretRef;
  /** The guard's namespace (the Lease) and this replica's name. */
  readonly namespace: string;
  readonly identity: string;
  /** The webhook configurations (both kinds) whose caBundle the leader keeps. */
  readonly webhookConfiguration: string;
  readonly names: CertificateNames;
  readonly policy: CertificatePolicy;
  /** How often every replica reads the Secret for a new pair (--tls-reload-interval). */
  readonly reloadIntervalMs: number;
  /** How often the leader looks when nothing falls due sooner (--ca-bundle-interval). */
  readonly intervalMs: number;
  /** The pair from --tls-cert/--tls-key (the mounted Secret), served until the Secret read through the API differs. */
  readonly current?: TlsPair;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

export interface CertificateSource {
  /** The pair to start serving with. */
  readonly pair: TlsPair;
  /** Every later pair goes to `apply` (one that came before this call at once). */
  follow(apply: (pair: TlsPair) => void): void;
  stop(): Promise<void>;
}

/**
 * serve --certificate-secret: the elected replica keeps the Secret's serving certificate and CA valid and the
 * webhooks' caBundle equal to its ca.crt (kube/certificate-manager.ts); every replica serves the pair the Secret
 * holds. Resolves once the Secret holds a usable pair (at once with `current`), which on a fresh install is when
 * the leader has issued the first one.
 */
export async function startCertificateSource(options: CertificateSourceOptions): Promise<CertificateSource> {
  const { kubeConfig, metrics } = options;
  const log = options.logger.child({ component: 'certificates' });
  const where = `Secret ${options.secret.namespace}/${options.secret.name}`;
  const secret = kubeCertificateSecretClient(kubeConfig, options.secret);
  let kick: () => void = () => undefined;
  const election = startLeaderElection(kubeConfig, {
    namespace: options.namespace,
    leaseName: CERTIFICATE_LEASE_NAME,
    identity: options.identity,
    onStartedLeading: () => {
      log.info({ identity: options.identity, secret: where }, 'leading: this replica renews the certificates and keeps the caBundle');
      kick();
    },
    onStoppedLeading: () => log.info({ identity: options.identity }, 'no longer leading the certificates'),
    onError: (err) => log.warn({ error: describe(err) }, 'certificate leader election: cannot read or write the Lease'),
  });
  const manager = startCertificateManager({
    secret,
    caBundle: kubeCaBundleClient(kubeConfig),
    configurations: [
      { kind: 'ValidatingWebhookConfiguration', name: options.webhookConfiguration },
      { kind: 'MutatingWebhookConfiguration', name: options.webhookConfiguration },
    ],
    names: options.names,
    policy: options.policy,
    isLeader: () => election.isLeader(),
    intervalMs: options.intervalMs,
    onAction: (action) => {
      metrics.certificateActions.inc({ action: action.kind });
      log.info({ action: action.kind, reason: action.reason, secret: where }, 'certificate Secret updated');
    },
    onCaBundle: (ref, result) => {
      metrics.caBundlePatches.inc({ configuration: ref.kind, result });
      if (result === 'patched') log.info({ configuration: `${ref.kind}/${ref.name}` }, 'caBundle patched');
    },
    onError: (err) => {
      metrics.certificateErrors.inc();
      log.error({ error: describe(err) }, 'cannot keep the certificates');
    },
  });
  kick = () => manager.kick();

  let follower: ((pair: TlsPair) => void) | undefined;
  let pending: TlsPair | undefined;
  const watch = watchServingPair(secret, {
    ...(options.current === undefined ? {} : { current: options.current }),
    intervalMs: options.reloadIntervalMs,
    onReload: (pair) => {
      if (follower === undefined) pending = pair;
      else follower(pair);
    },
    onError: (err) => {
      metrics.tlsReloads.inc({ result: 'error' });
      log.warn({ error: describe(err), secret: where }, 'no usable serving certificate in the Secret (yet): serving what was served before, if anything');
    },
  });
  const stop = async (): Promise<void> => {
    watch.stop();
    await manager.stop();
    await election.stop();
  };
  if (options.current === undefined) log.info({ secret: where }, 'waiting for a serving certificate in the Secret');
  const pair = await watch.first;
  return {
    pair,
    follow(apply) {
      follower = apply;
      if (pending !== undefined) apply(pending);
      pending = undefined;
    },
    stop,
  };
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
