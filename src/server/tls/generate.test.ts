import assert from 'node:assert/strict';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import { generateCertificates, serviceDnsNames } from './generate.js';

describe('generateCertificates', () => {
  it('signs natively a chain Node verifies, with the key that belongs to the certificate', async () => {
    const generated = await generateCertificates({ dnsNames: serviceDnsNames('svc', 'ns'), ipAddresses: ['127.0.0.1'], validityDays: 2 });
    const ca = new X509Certificate(generated.caCertPem);
    const cert = new X509Certificate(generated.certPem);
    assert.ok(ca.verify(ca.publicKey), 'the CA is self-signed');
    assert.ok(cert.verify(ca.publicKey));
    assert.ok(cert.checkPrivateKey(createPrivateKey(generated.keyPem)));
    assert.equal(cert.subjectAltName, 'DNS:svc.ns.svc, DNS:svc, DNS:svc.ns, DNS:svc.ns.svc.cluster.local, IP Address:127.0.0.1');
    assert.ok(Math.abs(Date.parse(cert.validTo) - Date.now() - 2 * 86_400_000) < 60_000);
  });

  it('does not block the event loop (keys on the thread pool, native signatures): a 5 ms timer stays on time', async () => {
    let last = performance.now();
    let worstLateMs = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      worstLateMs = Math.max(worstLateMs, now - last - 5);
      last = now;
    }, 5);
    try {
      await Promise.all([1, 2, 3].map(() => generateCertificates({ dnsNames: ['a.b.svc'], ipAddresses: [] })));
    } finally {
      clearInterval(ticker);
    }
    // node-forge's pure-JS RSA blocks 0.3-2.7 s per key here, Node's generateKeyPairSync 20-100 ms (bench/keygen.ts).
    assert.ok(worstLateMs < 150, `the event loop was blocked for ${worstLateMs.toFixed(0)} ms`);
  });
});
