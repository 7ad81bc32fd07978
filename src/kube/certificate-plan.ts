/**
 * What the leader does next to keep the serving certificate and the webhooks' caBundle valid: a pure function of
 * the certificate Secret as read (times in ms since the epoch) and the configured lifetimes. The I/O shell is
 * certificate-manager.ts.
 *
 * The CA is replaced with an overlap, so that kube-apiserver trusts the serving certificate at every moment:
 *   1. rotate-ca-start: a new CA joins the bundle (ca.crt = old + new) and its key becomes ca.key; the serving
 *      certificate, signed by the old CA, stays.
 *   2. rotate-ca-switch: once the webhook configurations have held that bundle for `switchAfterMs`, a serving
 *      certificate signed by the new CA replaces the old one.
 *   3. rotate-ca-finish: the old CA leaves the bundle once every replica serves the new certificate
 *      (`retireAfterMs` after the switch) or once it has expired.
 */

/** Validity of a certificate, in ms since the epoch. */
export interface Validity {
  readonly notBefore: number;
  readonly notAfter: number;
}

export interface ServingFacts extends Validity {
  /**
   * Which CA of the bundle signed it: `signing` (the CA whose key is ca.key), `other` (another CA of the bundle: a
   * switch is pending) or `none` (no CA of the bundle: kube-apiserver cannot trust it).
   */
  readonly issuer: 'signing' | 'other' | 'none';
  /** It names every DNS name and IP address asked for. */
  readonly namesMatch: boolean;
}

export interface CertificateFacts {
  readonly now: number;
  /** The CA of the bundle whose private key is ca.key; absent when there is none. */
  readonly signingCa?: Validity;
  /** tls.crt with its own tls.key; absent when missing or unusable. */
  readonly serving?: ServingFacts;
  /** CAs of the bundle that are neither the signing CA nor the serving certificate's issuer, by id (fingerprint). */
  readonly retiring: ReadonlyArray<Validity & { readonly id: string }>;
  /** Since when every webhook configuration's caBundle has been the Secret's ca.crt; absent when not (yet). */
  readonly bundleInPlaceSince?: number;
  /** When the serving certificate last switched to a new CA (recorded on the Secret). */
  readonly switchedAt?: number;
}

export interface CertificatePolicy {
  readonly servingLifetimeMs: number;
  readonly caLifetimeMs: number;
  /** Renew (or start a CA rotation) when less than this fraction of the lifetime is left: cert-manager's 1/3. */
  readonly renewBeforeFraction: number;
  /** How long the webhook configurations must have trusted a new CA before the serving certificate switches to it. */
  readonly switchAfterMs: number;
  /** How long after a switch the previous CA stays trusted: every replica has loaded the new certificate by then. */
  readonly retireAfterMs: number;
  /** notBefore is set this much before issuance (generate.ts backdateMs), which lifetimes include. */
  readonly backdateMs: (lifetimeMs: number) => number;
}

export type CertificateAction =
  /** Nothing usable: a new CA and a serving certificate (admissions fail until the caBundle holds the new CA). */
  | { readonly kind: 'issue'; readonly reason: string }
  | { readonly kind: 'renew-serving'; readonly reason: string }
  | { readonly kind: 'rotate-ca-start'; readonly reason: string }
  | { readonly kind: 'rotate-ca-switch'; readonly reason: string }
  | { readonly kind: 'rotate-ca-finish'; readonly reason: string; readonly drop: readonly string[] }
  /** `recheckAt`: when something falls due (the shell also looks on its own interval). */
  | { readonly kind: 'none'; readonly reason: string; readonly recheckAt?: number };

/** X.509 times have one-second resolution: a lifetime may read up to a second longer than asked for. */
const TIME_RESOLUTION_MS = 1_000;

export function planCertificates(facts: CertificateFacts, policy: CertificatePolicy): CertificateAction {
  const { now, signingCa, serving } = facts;
  const dueAt = (v: Validity): number => v.notAfter - (v.notAfter - v.notBefore) * policy.renewBeforeFraction;
  // A lifetime longer than configured (the flag was lowered, or `certs` made the Secret) is replaced now: the
  // configuration is what an operator reads and alerts on.
  const tooLong = (v: Validity, lifetimeMs: number): boolean => v.notAfter - v.notBefore > lifetimeMs + policy.backdateMs(lifetimeMs) + TIME_RESOLUTION_MS;
  const signingUsable = signingCa !== undefined && now < signingCa.notAfter;

  if (serving === undefined || serving.issuer === 'none' || now >= serving.notAfter) {
    const why = serving === undefined ? 'no usable serving certificate' : serving.issuer === 'none' ? 'the serving certificate is signed by no CA of the bundle' : 'the serving certificate expired';
    return signingUsable ? { kind: 'renew-serving', reason: why } : { kind: 'issue', reason: `${why} and no usable CA key` };
  }
  if (!signingUsable) {
    return { kind: 'rotate-ca-start', reason: signingCa === undefined ? 'no CA key to renew with (ca.key absent or of no CA in ca.crt)' : 'the CA expired' };
  }
  if (serving.issuer === 'other') {
    const since = facts.bundleInPlaceSince;
    if (since !== undefined && now >= since + policy.switchAfterMs) return { kind: 'rotate-ca-switch', reason: 'the webhook configurations trust the new CA' };
    return since === undefined
      ? { kind: 'none', reason: 'waiting for the webhook configurations to trust the new CA' }
      : { kind: 'none', reason: 'waiting for every API server to see the new caBundle', recheckAt: since + policy.switchAfterMs };
  }

  const retireAt = facts.switchedAt === undefined ? Infinity : facts.switchedAt + policy.retireAfterMs;
  const drop = facts.retiring.filter((ca) => now >= Math.min(ca.notAfter, retireAt)).map((ca) => ca.id);
  if (drop.length > 0) return { kind: 'rotate-ca-finish', reason: now >= retireAt ? 'every replica serves the new certificate' : 'the previous CA expired', drop };

  if (!serving.namesMatch) return { kind: 'renew-serving', reason: 'the serving certificate does not name every Service name and IP address' };
  if (tooLong(signingCa, policy.caLifetimeMs)) return { kind: 'rotate-ca-start', reason: 'the CA lives longer than --ca-lifetime' };
  if (now >= dueAt(signingCa)) return { kind: 'rotate-ca-start', reason: 'the CA is due for rotation' };
  if (tooLong(serving, policy.servingLifetimeMs)) return { kind: 'renew-serving', reason: 'the serving certificate lives longer than --certificate-lifetime' };
  if (now >= dueAt(serving)) return { kind: 'renew-serving', reason: 'the serving certificate is due for renewal' };

  const recheckAt = Math.min(dueAt(serving), dueAt(signingCa), ...facts.retiring.map((ca) => Math.min(ca.notAfter, retireAt)));
  return { kind: 'none', reason: 'the serving certificate and the CA are valid', recheckAt };
}
