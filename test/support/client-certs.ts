import { generateKeyPair, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import forge from 'node-forge';
import type { ClientIdentity } from './https-client.js';

/** A CA for client certificates, as the one that signs kube-apiserver's webhook client certificate. */
export interface ClientCa {
  readonly caCertPem: string;
  /** A client certificate (extKeyUsage clientAuth) for `commonName`, signed by this CA. */
  issue(commonName: string): Promise<ClientIdentity>;
}

const generateKeyPairAsync = promisify(generateKeyPair);

/** RSA keys from Node's crypto (forge's pure-JS generator takes seconds); forge builds and signs the certificates. */
async function rsaKeys(): Promise<{ publicKey: forge.pki.PublicKey; privateKey: forge.pki.rsa.PrivateKey; privateKeyPem: string }> {
  const { publicKey, privateKey } = await generateKeyPairAsync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  return { publicKey: forge.pki.publicKeyFromPem(publicKey), privateKey: forge.pki.privateKeyFromPem(privateKey), privateKeyPem: privateKey };
}

function certificate(publicKey: forge.pki.PublicKey, subject: string, issuer: string): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = `01${randomBytes(15).toString('hex')}`;
  cert.validity.notBefore = new Date(Date.now() - 5 * 60_000);
  cert.validity.notAfter = new Date(Date.now() + 86_400_000);
  cert.setSubject([{ name: 'commonName', value: subject }]);
  cert.setIssuer([{ name: 'commonName', value: issuer }]);
  return cert;
}

export async function generateClientCa(name: string): Promise<ClientCa> {
  const caKeys = await rsaKeys();
  const ca = certificate(caKeys.publicKey, name, name);
  ca.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  ca.sign(caKeys.privateKey, forge.md.sha256.create());
  return {
    caCertPem: forge.pki.certificateToPem(ca),
    async issue(commonName) {
      const keys = await rsaKeys();
      const cert = certificate(keys.publicKey, commonName, name);
      cert.setExtensions([
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
        { name: 'extKeyUsage', clientAuth: true },
        { name: 'authorityKeyIdentifier', keyIdentifier: ca.generateSubjectKeyIdentifier().getBytes() },
      ]);
      cert.sign(caKeys.privateKey, forge.md.sha256.create());
      return { cert: forge.pki.certificateToPem(cert), key: keys.privateKeyPem };
    },
  };
}
