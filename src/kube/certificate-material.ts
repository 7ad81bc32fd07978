import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { generateCa, issueServingCertificate, type CaMaterial } from '../server/tls/generate.js';
import type { CertificateAction, CertificateFacts, CertificatePolicy, Validity } from './certificate-plan.js';

/**
 * The certificate Secret's layout: cert-manager's keys for the serving pair and the CA (tls.crt, tls.key, ca.crt),
 * plus the CA's key, which a self-managed guard needs to renew (docs/security-model.md says what that trusts).
 * ca.crt is the bundle kube-apiserver trusts: one CA, two during a rotation.
 */
export const SECRET_KEYS = { cert: 'tls.crt', key: 'tls.key', caBundle: 'ca.crt', caKey: 'ca.key' } as const;

/** When the serving certificate last switched to a new CA (RFC 3339): the previous CA is retired after it. */
export const SWITCHED_AT_ANNOTATION = 'distroless-guard.io/ca-switched-at';

/** What the serving certificate must name: the Service's DNS names, and IPs for a webhook reached by URL. */
export interface CertificateNames {
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
}

/** One CA of the bundle. */
export interface BundleCa extends Validity {
  readonly pem: string;
  /** SHA-256 fingerprint: how the plan names the CAs it drops. */
  readonly id: string;
  readonly x509: X509Certificate;
}

/** The Secret as read: what the plan needs, and the PEM the next Secret is built from. */
export interface CertificateSecretView {
  readonly bundle: readonly BundleCa[];
  readonly signing?: BundleCa & { readonly keyPem: string };
  readonly serving?: Validity & { readonly issuerId: string | undefined; readonly namesMatch: boolean };
  readonly switchedAt?: number;
}

/** Secret data as the API gives it: base64 values. */
export type SecretData = Readonly<Record<string, string>>;

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]{1,20000}?-----END CERTIFICATE-----/g;

const decode = (data: SecretData, key: string): string => Buffer.from(data[key] ?? '', 'base64').toString('utf8');
const encode = (text: string): string => Buffer.from(text).toString('base64');
const validity = (x509: X509Certificate): Validity => ({ notBefore: Date.parse(x509.validFrom), notAfter: Date.parse(x509.validTo) });

function privateKey(pem: string): KeyObject | undefined {
  try {
    return pem.trim() === '' ? undefined : createPrivateKey(pem);
  } catch {
    return undefined;
  }
}

/** The CA certificates of a PEM bundle; anything else in it is ignored (and dropped at the next write). */
export function parseBundle(pem: string): BundleCa[] {
  const cas: BundleCa[] = [];
  for (const [block] of pem.matchAll(PEM_CERTIFICATE)) {
    try {
      const x509 = new X509Certificate(block);
      if (x509.ca && !cas.some((ca) => ca.id === x509.fingerprint256)) cas.push({ pem: `${block}\n`, id: x509.fingerprint256, x509, ...validity(x509) });
    } catch {
      // Not a certificate: as absent.
    }
  }
  return cas;
}

/** Reads the Secret: damaged or missing parts are absent, and the plan replaces them. */
export function readCertificateSecret(data: SecretData, annotations: Readonly<Record<string, string>>, names: CertificateNames): CertificateSecretView {
  const bundle = parseBundle(decode(data, SECRET_KEYS.caBundle));
  const caKeyPem = decode(data, SECRET_KEYS.caKey);
  const caKey = privateKey(caKeyPem);
  const signingCa = caKey === undefined ? undefined : bundle.find((ca) => ca.x509.checkPrivateKey(caKey));
  const switchedAt = Date.parse(annotations[SWITCHED_AT_ANNOTATION] ?? '');
  return {
    bundle,
    ...(signingCa === undefined ? {} : { signing: { ...signingCa, keyPem: caKeyPem } }),
    ...servingOf(decode(data, SECRET_KEYS.cert), decode(data, SECRET_KEYS.key), bundle, names),
    ...(Number.isNaN(switchedAt) ? {} : { switchedAt }),
  };
}

function servingOf(certPem: string, keyPem: string, bundle: readonly BundleCa[], names: CertificateNames): Pick<CertificateSecretView, 'serving'> {
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(certPem);
  } catch {
    return {};
  }
  const key = privateKey(keyPem);
  if (key === undefined || !leaf.checkPrivateKey(key)) return {};
  const issuer = bundle.find((ca) => leaf.checkIssued(ca.x509) && leaf.verify(ca.x509.publicKey));
  // SANs only (subject: 'never'): kube-apiserver, like every Go client, ignores the common name.
  const namesMatch =
    names.dnsNames.every((name) => leaf.checkHost(name, { subject: 'never', wildcards: false }) !== undefined) && names.ipAddresses.every((ip) => leaf.checkIP(ip) !== undefined);
  return { serving: { ...validity(leaf), issuerId: issuer?.id, namesMatch } };
}

/** The plan's view of the Secret at `now`. */
export function certificateFacts(view: CertificateSecretView, now: number, bundleInPlaceSince: number | undefined): CertificateFacts {
  const { signing, serving } = view;
  const issuer = serving?.issuerId === undefined ? 'none' : serving.issuerId === signing?.id ? 'signing' : 'other';
  return {
    now,
    ...(signing === undefined ? {} : { signingCa: { notBefore: signing.notBefore, notAfter: signing.notAfter } }),
    ...(serving === undefined ? {} : { serving: { notBefore: serving.notBefore, notAfter: serving.notAfter, issuer, namesMatch: serving.namesMatch } }),
    retiring: view.bundle.filter((ca) => ca.id !== signing?.id && ca.id !== serving?.issuerId).map(({ id, notBefore, notAfter }) => ({ id, notBefore, notAfter })),
    ...(bundleInPlaceSince === undefined ? {} : { bundleInPlaceSince }),
    ...(view.switchedAt === undefined ? {} : { switchedAt: view.switchedAt }),
  };
}

/** The Secret's data and annotations after `action` (other keys and annotations are kept as they are). */
export interface NextSecret {
  readonly data: Record<string, string>;
  readonly annotations: Record<string, string>;
}

/** Carries out a planned action (new keys are made here: RSA-2048 on the thread pool, see generate.ts). */
export async function nextCertificateSecret(
  current: { readonly data: SecretData; readonly annotations: Readonly<Record<string, string>>; readonly view: CertificateSecretView },
  action: CertificateAction,
  names: CertificateNames,
  policy: Pick<CertificatePolicy, 'servingLifetimeMs' | 'caLifetimeMs'>,
  now: Date,
): Promise<NextSecret> {
  const data = { ...current.data };
  const annotations = { ...current.annotations };
  const { view } = current;
  const serve = async (ca: CaMaterial): Promise<void> => {
    const serving = await issueServingCertificate(ca, { ...names, lifetimeMs: policy.servingLifetimeMs, now });
    data[SECRET_KEYS.cert] = encode(serving.certPem);
    data[SECRET_KEYS.key] = encode(serving.keyPem);
  };
  const signing = (): CaMaterial => {
    if (view.signing === undefined) throw new Error(`${action.kind} needs the CA key, and the Secret has none`);
    return { certPem: view.signing.pem, keyPem: view.signing.keyPem };
  };
  switch (action.kind) {
    case 'none':
      break;
    case 'issue': {
      const ca = await generateCa({ lifetimeMs: policy.caLifetimeMs, now });
      await serve(ca);
      data[SECRET_KEYS.caBundle] = encode(ca.certPem);
      data[SECRET_KEYS.caKey] = encode(ca.keyPem);
      delete annotations[SWITCHED_AT_ANNOTATION];
      break;
    }
    case 'renew-serving':
      await serve(signing());
      break;
    case 'rotate-ca-switch':
      await serve(signing());
      annotations[SWITCHED_AT_ANNOTATION] = now.toISOString();
      break;
    case 'rotate-ca-start': {
      const ca = await generateCa({ lifetimeMs: policy.caLifetimeMs, now });
      data[SECRET_KEYS.caBundle] = encode([...view.bundle.map((b) => b.pem), ca.certPem].join(''));
      data[SECRET_KEYS.caKey] = encode(ca.keyPem);
      break;
    }
    case 'rotate-ca-finish':
      data[SECRET_KEYS.caBundle] = encode(
        view.bundle
          .filter((b) => !action.drop.includes(b.id))
          .map((b) => b.pem)
          .join(''),
      );
      break;
  }
  return { data, annotations };
}
