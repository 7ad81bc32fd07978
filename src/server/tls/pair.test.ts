import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { generateCertificates, type GeneratedCertificates } from './generate.js';
import { parseTlsPair, TlsPairError } from './pair.js';

let a: GeneratedCertificates;
let b: GeneratedCertificates;
before(async () => {
  [a, b] = await Promise.all([generateCertificates({ dnsNames: ['a'], ipAddresses: [] }), generateCertificates({ dnsNames: ['b'], ipAddresses: [] })]);
});

describe('parseTlsPair', () => {
  it('accepts a certificate with its own key, and reports its notAfter and fingerprint', () => {
    const pair = parseTlsPair(Buffer.from(a.certPem), Buffer.from(a.keyPem), 'a');
    assert.ok(pair.notAfter.getTime() > Date.now());
    assert.match(pair.fingerprint, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  });
  const cases: Array<[string, () => [string, string], RegExp]> = [
    ['garbage instead of a certificate', () => ['-----BEGIN CERTIFICATE-----\ngarbage\n-----END CERTIFICATE-----\n', a.keyPem], /not a PEM X\.509 certificate/],
    ['an empty certificate file (a Secret being written)', () => ['', a.keyPem], /not a PEM X\.509 certificate/],
    ["another certificate's key", () => [a.certPem, b.keyPem], /does not belong to the certificate/],
    ['garbage instead of a key', () => [a.certPem, 'not a key'], /private key is unusable/],
  ];
  for (const [name, pair, message] of cases) {
    it(`refuses ${name}`, () => {
      const [cert, key] = pair();
      assert.throws(() => parseTlsPair(Buffer.from(cert), Buffer.from(key), 'x'), (err: unknown) => err instanceof TlsPairError && message.test(err.message));
    });
  }
});
