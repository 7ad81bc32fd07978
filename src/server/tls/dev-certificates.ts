import { X509Certificate } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateCertificates, serviceDnsNames } from './generate.js';
import { writeAtomically } from '../../shared/write-atomically.js';

export interface DevCertificateFiles {
  readonly caPath: string;
  readonly certPath: string;
  readonly keyPath: string;
  /** false when valid certificates were already there and reused. */
  readonly generated: boolean;
}

const RENEW_BEFORE_MS = 7 * 86_400_000;

/**
 * Development TLS for `serve` without --tls-cert/--tls-key: a CA and a serving certificate for localhost,
 * 127.0.0.1 and the Service names, kept in `dir` (git-ignored) and reused while valid.
 */
export async function ensureDevCertificates(dir: string, service: string, namespace: string): Promise<DevCertificateFiles> {
  const files = { caPath: join(dir, 'ca.crt'), certPath: join(dir, 'tls.crt'), keyPath: join(dir, 'tls.key') };
  const dnsNames = [...serviceDnsNames(service, namespace), 'localhost'];
  if (await reusable(files.certPath, files.keyPath, files.caPath, dnsNames)) return { ...files, generated: false };

  const generated = await generateCertificates({ dnsNames, ipAddresses: ['127.0.0.1', '::1'] });
  await mkdir(dir, { recursive: true });
  await writeAtomically(files.caPath, generated.caCertPem, 0o644);
  await writeAtomically(files.keyPath, generated.keyPem, 0o600);
  await writeAtomically(files.certPath, generated.certPem, 0o644);
  return { ...files, generated: true };
}

async function reusable(certPath: string, keyPath: string, caPath: string, dnsNames: readonly string[]): Promise<boolean> {
  try {
    const [certPem, , caPem] = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8'), readFile(caPath, 'utf8')]);
    const cert = new X509Certificate(certPem);
    const ca = new X509Certificate(caPem);
    const fresh = Date.parse(cert.validTo) - Date.now() > RENEW_BEFORE_MS;
    return fresh && cert.verify(ca.publicKey) && dnsNames.every((name) => cert.checkHost(name) !== undefined) && cert.checkIP('127.0.0.1') !== undefined;
  } catch {
    return false;
  }
}
