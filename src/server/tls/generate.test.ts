import assert from 'node:assert/strict';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import { backdateMs, generateCa, generateCertificates, issueServingCertificate, serviceDnsNames } from './generate.js';

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

describe('generateCa and issueServingCertificate', () => {
  it('sign a serving certificate that ends with its CA at the latest, backdated for clocks running behind', async () => {
    const now = new Date('2030-01-01T00:00:00Z');
    const ca = await generateCa({ lifetimeMs: 3_600_000, now });
    const serving = await issueServingCertificate(ca, { dnsNames: ['svc.ns.svc'], ipAddresses: [], lifetimeMs: 7_200_000, now });
    const caCert = new X509Certificate(ca.certPem);
    const cert = new X509Certificate(serving.certPem);
    assert.ok(cert.checkIssued(caCert) && cert.verify(caCert.publicKey));
    assert.ok(cert.checkPrivateKey(createPrivateKey(serving.keyPem)));
    assert.ok(caCert.checkPrivateKey(createPrivateKey(ca.keyPem)));
    assert.equal(cert.validTo, caCert.validTo, 'capped at the CA notAfter');
    assert.equal(Date.parse(caCert.validFrom), now.getTime() - backdateMs(3_600_000));
    assert.equal(backdateMs(3_600_000), 5 * 60_000);
    assert.equal(backdateMs(30_000), 3_000);
  });

  it('name each CA by its start, so the two CAs of a rotation differ in a caBundle', async () => {
    const [a, b] = await Promise.all([generateCa({ lifetimeMs: 60_000, now: new Date(0) }), generateCa({ lifetimeMs: 60_000, now: new Date(1_000) })]);
    assert.notEqual(new X509Certificate(a.certPem).subject, new X509Certificate(b.certPem).subject);
  });
});
