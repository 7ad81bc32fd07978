import { constants, createPrivateKey, generateKeyPair, privateEncrypt, randomBytes, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import forge from 'node-forge';

export interface CertificateRequest {
  /** DNS names for the serving certificate (first one is the subject CN). */
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
  readonly validityDays?: number;
}

export interface GeneratedCertificates {
  readonly caCertPem: string;
  /** The CA's private key: only for a Secret the guard renews from (serve --certificate-secret). */
  readonly caKeyPem: string;
  readonly certPem: string;
  readonly keyPem: string;
}

const generateKeyPairAsync = promisify(generateKeyPair);

interface KeyPair {
  /** node-forge's view of the public key, to put in a certificate. */
  readonly publicKey: forge.pki.PublicKey;
  readonly privateKey: KeyObject;
  /** PKCS#1 PEM. */
  readonly privateKeyPem: string;
}

/**
 * RSA keys come from Node's crypto on the libuv thread pool: node-forge's pure-JS generator would block the event
 * loop of a serving process for seconds, and forge's default (Node's generateKeyPairSync) still blocks it
 * (bench/keygen.ts; bench/PERFORMANCE.md, "Measurements behind source choices"). node-forge only builds the X.509
 * structures.
 */
async function rsaKeyPair(): Promise<KeyPair> {
  const { publicKey, privateKey } = await generateKeyPairAsync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  return { publicKey: forge.pki.publicKeyFromPem(publicKey), privateKey: createPrivateKey(privateKey), privateKeyPem: privateKey };
}

/** DER of DigestInfo { sha256, NULL } up to the digest (RFC 8017 §9.2 note 1). */
const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex');

/**
 * A signer for forge's `certificate.sign`, which hands over the SHA-256 of the TBS certificate: RSASSA-PKCS1-v1_5 by
 * Node's crypto (native) instead of forge's JavaScript big integers, which block the event loop for each signature
 * (bench/PERFORMANCE.md, "Measurements behind source choices").
 */
function nativeSigner(key: KeyObject): forge.pki.rsa.PrivateKey {
  const signer = {
    sign(md: forge.md.MessageDigest): string {
      const digestInfo = Buffer.concat([SHA256_DIGEST_INFO, Buffer.from(md.digest().getBytes(), 'binary')]);
      return privateEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, digestInfo).toString('binary');
    },
  };
  // forge only calls sign() on the key it is given.
  return signer as unknown as forge.pki.rsa.PrivateKey;
}

/**
 * How far back notBefore is set: a certificate used the moment it is issued must already be valid for an API server
 * whose clock runs a little behind ours. Five minutes, or a tenth of a short lifetime (a test's certificate of
 * seconds would otherwise spend most of its life before it was made).
 */
export function backdateMs(lifetimeMs: number): number {
  return Math.min(5 * 60_000, Math.floor(lifetimeMs / 10));
}

function newCertificate(publicKey: forge.pki.PublicKey, now: Date, lifetimeMs: number, notAfterCap?: Date): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  // A positive serial: RFC 5280 §4.1.2.2 (a leading 0x01 keeps the top bit clear).
  cert.serialNumber = `01${randomBytes(15).toString('hex')}`;
  cert.validity.notBefore = new Date(now.getTime() - backdateMs(lifetimeMs));
  const notAfter = now.getTime() + lifetimeMs;
  // A certificate outliving its CA would only fail verification once the CA expires (RFC 5280 §6.1.3 checks each).
  cert.validity.notAfter = new Date(notAfterCap === undefined ? notAfter : Math.min(notAfter, notAfterCap.getTime()));
  return cert;
}

/** A CA certificate and its private key (PKCS#1 PEM), as the certificate Secret keeps them (ca.crt, ca.key). */
export interface CaMaterial {
  readonly certPem: string;
  readonly keyPem: string;
}

/** A serving certificate and its private key (PKCS#1 PEM): tls.crt and tls.key. */
export interface ServingMaterial {
  readonly certPem: string;
  readonly keyPem: string;
}

/**
 * A self-signed CA. Each one's common name carries its start time, so the two CAs of a rotation are told apart in
 * a caBundle (and by `openssl x509 -subject`); chain building matches issuer and subject key identifiers anyway.
 */
export async function generateCa(options: { readonly lifetimeMs: number; readonly now?: Date }): Promise<CaMaterial> {
  const now = options.now ?? new Date();
  const keys = await rsaKeyPair();
  const ca = newCertificate(keys.publicKey, now, options.lifetimeMs);
  const subject = [{ name: 'commonName', value: `distroless-guard CA ${now.toISOString().replace(/\.\d+Z$/, 'Z')}` }];
  ca.setSubject(subject);
  ca.setIssuer(subject);
  ca.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  ca.sign(nativeSigner(keys.privateKey), forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(ca), keyPem: keys.privateKeyPem };
}

/**
 * A serving certificate signed by `ca`, with the SANs kube-apiserver verifies (`<service>.<namespace>.svc`, or the
 * IP of a webhook reached by URL). It ends no later than the CA.
 */
export async function issueServingCertificate(
  ca: CaMaterial,
  request: { readonly dnsNames: readonly string[]; readonly ipAddresses: readonly string[]; readonly lifetimeMs: number; readonly now?: Date },
): Promise<ServingMaterial> {
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const keys = await rsaKeyPair();
  const server = newCertificate(keys.publicKey, request.now ?? new Date(), request.lifetimeMs, caCert.validity.notAfter);
  server.setSubject([{ name: 'commonName', value: request.dnsNames[0] ?? 'distroless-guard' }]);
  server.setIssuer(caCert.subject.attributes);
  server.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [...request.dnsNames.map((value) => ({ type: 2, value })), ...request.ipAddresses.map((ip) => ({ type: 7, ip }))],
    },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  server.sign(nativeSigner(createPrivateKey(ca.keyPem)), forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(server), keyPem: keys.privateKeyPem };
}

/** A CA and a serving certificate it signs, with the SANs kube-apiserver verifies (`<service>.<namespace>.svc`). */
export async function generateCertificates(request: CertificateRequest): Promise<GeneratedCertificates> {
  const lifetimeMs = (request.validityDays ?? 365) * 86_400_000;
  const now = new Date();
  const ca = await generateCa({ lifetimeMs, now });
  const serving = await issueServingCertificate(ca, { dnsNames: request.dnsNames, ipAddresses: request.ipAddresses, lifetimeMs, now });
  return { caCertPem: ca.certPem, caKeyPem: ca.keyPem, certPem: serving.certPem, keyPem: serving.keyPem };
}

/** The names a webhook Service is reached by, kube-apiserver using `<service>.<namespace>.svc`. */
export function serviceDnsNames(service: string, namespace: string): string[] {
  return [`${service}.${namespace}.svc`, service, `${service}.${namespace}`, `${service}.${namespace}.svc.cluster.local`];
}
