import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { backdateMs, generateCertificates, type GeneratedCertificates } from '../server/tls/generate.js';
import {
  certificateFacts,
  nextCertificateSecret,
  parseBundle,
  readCertificateSecret,
  SECRET_KEYS,
  SWITCHED_AT_ANNOTATION,
  type SecretData,
} from './certificate-material.js';
import { planCertificates, type CertificateAction, type CertificatePolicy } from './certificate-plan.js';

const HOUR = 3_600_000;
const NAMES = { dnsNames: ['guard.ns.svc', 'guard'], ipAddresses: ['127.0.0.1'] };
const POLICY: CertificatePolicy = {
  servingLifetimeMs: 3 * HOUR,
  caLifetimeMs: 9 * HOUR,
  renewBeforeFraction: 1 / 3,
  switchAfterMs: 10 * 60_000,
  retireAfterMs: 30 * 60_000,
  backdateMs,
};

const b64 = (text: string): string => Buffer.from(text).toString('base64');
const text = (data: SecretData, key: string): string => Buffer.from(data[key] ?? '', 'base64').toString('utf8');

/** The serving certificate of `data` verifies against one CA of `bundlePem` (what kube-apiserver checks). */
function trusted(data: SecretData, bundlePem: string): boolean {
  const leaf = new X509Certificate(text(data, SECRET_KEYS.cert));
  return parseBundle(bundlePem).some((ca) => leaf.checkIssued(ca.x509) && leaf.verify(ca.x509.publicKey));
}

let made: GeneratedCertificates;
before(async () => {
  made = await generateCertificates({ dnsNames: NAMES.dnsNames, ipAddresses: NAMES.ipAddresses, validityDays: 1 });
});

describe('readCertificateSecret', () => {
  const facts = (data: Record<string, string>) => certificateFacts(readCertificateSecret(data, {}, NAMES), Date.now(), undefined);
  const full = (): Record<string, string> => ({
    [SECRET_KEYS.cert]: b64(made.certPem),
    [SECRET_KEYS.key]: b64(made.keyPem),
    [SECRET_KEYS.caBundle]: b64(made.caCertPem),
    [SECRET_KEYS.caKey]: b64(made.caKeyPem),
  });

  it('finds the signing CA by its key and the serving certificate it signed', () => {
    const seen = facts(full());
    assert.equal(seen.serving?.issuer, 'signing');
    assert.equal(seen.serving?.namesMatch, true);
    assert.ok(seen.signingCa !== undefined);
    assert.deepEqual(seen.retiring, []);
  });

  type Facts = ReturnType<typeof facts>;
  const damaged: ReadonlyArray<[string, () => Record<string, string>, (f: Facts) => unknown, unknown]> = [
    ['an empty Secret has nothing', () => ({}), (f) => [f.signingCa, f.serving], [undefined, undefined]],
    [
      'no ca.key (made by certs before ca.key): no signing CA',
      () => ({ ...full(), [SECRET_KEYS.caKey]: '' }),
      (f) => [f.signingCa, f.serving?.issuer],
      [undefined, 'other'],
    ],
    ['a ca.key that is garbage: no signing CA', () => ({ ...full(), [SECRET_KEYS.caKey]: b64('garbage') }), (f) => f.signingCa, undefined],
    ['a tls.key of another certificate: no serving certificate', () => ({ ...full(), [SECRET_KEYS.key]: b64(made.caKeyPem) }), (f) => f.serving, undefined],
    ['a ca.crt without the issuer: signed by none', () => ({ ...full(), [SECRET_KEYS.caBundle]: b64('not a pem') }), (f) => f.serving?.issuer, 'none'],
  ];
  for (const [name, secret, pick, expected] of damaged) {
    it(name, () => assert.deepEqual(pick(facts(secret())), expected));
  }

  it('a certificate missing a name asked for does not match', () => {
    const view = readCertificateSecret(full(), {}, { ...NAMES, dnsNames: [...NAMES.dnsNames, 'other.ns.svc'] });
    assert.equal(view.serving?.namesMatch, false);
  });
});

describe('nextCertificateSecret on a simulated clock', () => {
  it('issues, renews and rotates the CA so that the webhooks never hold a caBundle the serving certificate fails', async () => {
    const t0 = Date.parse('2030-01-01T00:00:00Z');
    let data: Record<string, string> = { unrelated: b64('kept') };
    let annotations: Record<string, string> = { 'example.com/kept': 'yes' };
    /** The caBundle the webhook configurations hold, and since when (written at once, as the leader does). */
    let inPlace: { bundle: string; since: number } | undefined;
    const actions: string[] = [];

    const step = async (at: number): Promise<CertificateAction> => {
      const view = readCertificateSecret(data, annotations, NAMES);
      const bundle = data[SECRET_KEYS.caBundle];
      if (bundle !== undefined && inPlace?.bundle !== bundle) inPlace = { bundle, since: at };
      const action = planCertificates(certificateFacts(view, at, inPlace?.since), POLICY);
      if (action.kind === 'none') return action;
      const before = { data, bundle: text(data, SECRET_KEYS.caBundle) };
      ({ data, annotations } = await nextCertificateSecret({ data, annotations, view }, action, NAMES, POLICY, new Date(at)));
      actions.push(action.kind);
      // A write changes the serving certificate or the bundle, and what it writes works with what is still out
      // there: a new certificate with the bundle the webhooks hold, a new bundle with the certificate served.
      if (action.kind !== 'issue') {
        assert.ok(trusted(data, before.bundle), `${action.kind}: the new certificate is trusted by the bundle in place`);
        assert.ok(trusted(data, text(data, SECRET_KEYS.caBundle)), `${action.kind}: the new bundle trusts the certificate`);
        if (action.kind !== 'rotate-ca-finish') assert.ok(trusted(before.data, text(data, SECRET_KEYS.caBundle)), `${action.kind}: and the one still served`);
      }
      return action;
    };

    const plan: Array<[number, string]> = [
      [0, 'issue'],
      [1 * HOUR, 'none'],
      [2 * HOUR + 20 * 60_000, 'renew-serving'],
      [4 * HOUR + 30 * 60_000, 'renew-serving'],
      [6 * HOUR + 20 * 60_000, 'rotate-ca-start'],
      [6 * HOUR + 25 * 60_000, 'none'], // the webhooks hold the new bundle from now on
      [6 * HOUR + 34 * 60_000, 'none'],
      [6 * HOUR + 35 * 60_000, 'rotate-ca-switch'],
      [7 * HOUR, 'none'],
      [7 * HOUR + 5 * 60_000, 'rotate-ca-finish'],
      [7 * HOUR + 6 * 60_000, 'none'],
    ];
    for (const [offset, kind] of plan) assert.equal((await step(t0 + offset)).kind, kind, `at +${offset / 60_000} min`);

    assert.deepEqual(actions, ['issue', 'renew-serving', 'renew-serving', 'rotate-ca-start', 'rotate-ca-switch', 'rotate-ca-finish']);
    assert.equal(parseBundle(text(data, SECRET_KEYS.caBundle)).length, 1, 'the old CA left the bundle');
    assert.equal(annotations[SWITCHED_AT_ANNOTATION], new Date(t0 + 6 * HOUR + 35 * 60_000).toISOString());
    assert.equal(annotations['example.com/kept'], 'yes');
    assert.equal(text(data, 'unrelated'), 'kept');
    const view = readCertificateSecret(data, annotations, NAMES);
    assert.equal(certificateFacts(view, t0 + 7 * HOUR, undefined).serving?.issuer, 'signing');
  });
});
