import { createPrivateKey, X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { readFile } from 'node:fs/promises';

export interface TlsFiles {
  readonly certPath: string;
  readonly keyPath: string;
}

/** A serving certificate (PEM, possibly with its chain) and its private key, checked to belong together. */
export interface TlsPair {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly notAfter: Date;
  /** SHA-256 fingerprint of the leaf certificate. */
  readonly fingerprint: string;
}

export class TlsPairError extends Error {
  override readonly name = 'TlsPairError';
}

/** Checks that `cert` and `key` are PEM a TLS server can use together; throws TlsPairError saying what is wrong. */
export function parseTlsPair(cert: Buffer, key: Buffer, origin: string): TlsPair {
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
  } catch (err) {
    throw new TlsPairError(`${origin}: the certificate is not a PEM X.509 certificate`, { cause: err });
  }
  try {
    if (!leaf.checkPrivateKey(createPrivateKey(key))) throw new TlsPairError(`${origin}: the private key does not belong to the certificate`);
    createSecureContext({ cert, key });
  } catch (err) {
    if (err instanceof TlsPairError) throw err;
    throw new TlsPairError(`${origin}: the private key is unusable (${err instanceof Error ? err.message : String(err)})`, { cause: err });
  }
  return { cert, key, notAfter: new Date(leaf.validTo), fingerprint: leaf.fingerprint256 };
}

export async function readTlsPair(files: TlsFiles): Promise<TlsPair> {
  const [cert, key] = await Promise.all([readFile(files.certPath), readFile(files.keyPath)]);
  return parseTlsPair(cert, key, `${files.certPath} + ${files.keyPath}`);
}
