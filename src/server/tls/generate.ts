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

function newCertificate(publicKey: forge.pki.PublicKey, validityDays: number): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  // A positive serial: RFC 5280 §4.1.2.2 (a leading 0x01 keeps the top bit clear).
  cert.serialNumber = `01${randomBytes(15).toString('hex')}`;
  const now = new Date();
  cert.validity.notBefore = new Date(now.getTime() - 5 * 60_000);
  cert.validity.notAfter = new Date(now.getTime() + validityDays * 86_400_000);
  return cert;
}

/** A CA and a serving certificate it signs, with the SANs kube-apiserver verifies (`<service>.<namespace>.svc`). */
export async function generateCertificates(request: CertificateRequest): Promise<GeneratedCertificates> {
  const validityDays = request.validityDays ?? 365;
  const [caKeys, serverKeys] = await Promise.all([rsaKeyPair(), rsaKeyPair()]);

  const ca = newCertificate(caKeys.publicKey, validityDays);
  const caSubject = [{ name: 'commonName', value: 'distroless-guard CA' }];
  ca.setSubject(caSubject);
  ca.setIssuer(caSubject);
  ca.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  ca.sign(nativeSigner(caKeys.privateKey), forge.md.sha256.create());

  const server = newCertificate(serverKeys.publicKey, validityDays);
  server.setSubject([{ name: 'commonName', value: request.dnsNames[0] ?? 'distroless-guard' }]);
  server.setIssuer(caSubject);
  server.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [...request.dnsNames.map((value) => ({ type: 2, value })), ...request.ipAddresses.map((ip) => ({ type: 7, ip }))],
    },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: ca.generateSubjectKeyIdentifier().getBytes() },
  ]);
  server.sign(nativeSigner(caKeys.privateKey), forge.md.sha256.create());

  return {
    caCertPem: forge.pki.certificateToPem(ca),
    certPem: forge.pki.certificateToPem(server),
    keyPem: serverKeys.privateKeyPem,
  };
}

/** The names a webhook Service is reached by, kube-apiserver using `<service>.<namespace>.svc`. */
export function serviceDnsNames(service: string, namespace: string): string[] {
  return [`${service}.${namespace}.svc`, service, `${service}.${namespace}`, `${service}.${namespace}.svc.cluster.local`];
}
