import { generateKeyPair, randomBytes } from 'node:crypto';
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

/**
 * RSA keys come from Node's crypto on the libuv thread pool (node-forge's pure-JS generator takes seconds and
 * would block the event loop of a serving process); node-forge builds and signs the X.509 certificates.
 */
async function rsaKeyPair(): Promise<forge.pki.rsa.KeyPair> {
  const { privateKey } = await generateKeyPairAsync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  const key = forge.pki.privateKeyFromPem(privateKey);
  return { privateKey: key, publicKey: forge.pki.setRsaPublicKey(key.n, key.e) };
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
  ca.sign(caKeys.privateKey, forge.md.sha256.create());

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
  server.sign(caKeys.privateKey, forge.md.sha256.create());

  return {
    caCertPem: forge.pki.certificateToPem(ca),
    certPem: forge.pki.certificateToPem(server),
    keyPem: forge.pki.privateKeyToPem(serverKeys.privateKey),
  };
}

/** The names a webhook Service is reached by, kube-apiserver using `<service>.<namespace>.svc`. */
export function serviceDnsNames(service: string, namespace: string): string[] {
  return [`${service}.${namespace}.svc`, service, `${service}.${namespace}`, `${service}.${namespace}.svc.cluster.local`];
}
