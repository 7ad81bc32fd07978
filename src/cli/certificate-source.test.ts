import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { certificateSettings } from './certificate-source.js';
import { UsageError } from './io.js';

const CONTEXT = { service: 'guard', namespace: 'ns', reloadIntervalMs: 10_000 };
const flags = (extra: Record<string, unknown> = {}) => ({
  'certificate-secret': 'ns/guard-tls',
  'certificate-lifetime': '2160h',
  'ca-lifetime': '8760h',
  'certificate-ip-address': [] as string[],
  ...extra,
});

describe('certificateSettings (serve --certificate-secret)', () => {
  it('is off without --certificate-secret', () => {
    assert.equal(certificateSettings({ ...flags(), 'certificate-secret': undefined }, CONTEXT), undefined);
  });

  it('defaults: 90-day certificates, a 1-year CA, renewed with a third left; waits derived from the CA and the reloads', () => {
    const settings = certificateSettings(flags(), CONTEXT);
    assert.deepEqual(settings?.secret, { namespace: 'ns', name: 'guard-tls' });
    assert.deepEqual(settings?.names, { dnsNames: ['guard.ns.svc', 'guard', 'guard.ns', 'guard.ns.svc.cluster.local'], ipAddresses: [] });
    const { backdateMs, ...policy } = settings?.policy ?? {};
    assert.equal(typeof backdateMs, 'function');
    const day = 86_400_000;
    assert.deepEqual(policy, {
      servingLifetimeMs: 90 * day,
      caLifetimeMs: 365 * day,
      renewBeforeFraction: 1 / 3,
      switchAfterMs: 10_000,
      retireAfterMs: 30_000,
    });
  });

  it('scales the switch wait down with a short CA (a twentieth of it) and takes a percentage', () => {
    const policy = certificateSettings(flags({ 'ca-lifetime': '30s', 'certificate-lifetime': '12s', 'renew-before-percentage': '25' }), CONTEXT)?.policy;
    assert.equal(policy?.switchAfterMs, 1_500);
    assert.equal(policy?.renewBeforeFraction, 0.25);
  });

  const refused: ReadonlyArray<[string, Record<string, unknown>, RegExp]> = [
    ['a Secret without its namespace', { 'certificate-secret': 'guard-tls' }, /is not NAMESPACE\/NAME/],
    ['a Secret name that is no Kubernetes name', { 'certificate-secret': 'ns/Guard_TLS' }, /is not NAMESPACE\/NAME/],
    ['a lifetime in days (Go durations stop at hours)', { 'certificate-lifetime': '90d' }, /is not a duration/],
    ['a lifetime under a second', { 'certificate-lifetime': '500ms' }, /is not a duration/],
    ['a CA shorter than its certificates', { 'ca-lifetime': '24h' }, /shorter than --certificate-lifetime/],
    ['a percentage of 100', { 'renew-before-percentage': '100' }, /not a percentage/],
    ['an IP address that is not one', { 'certificate-ip-address': ['127.0.0.256'] }, /not an IP address/],
  ];
  for (const [name, extra, message] of refused) {
    it(`refuses ${name}`, () => {
      assert.throws(
        () => certificateSettings(flags(extra) as Parameters<typeof certificateSettings>[0], CONTEXT),
        (err: unknown) => err instanceof UsageError && message.test(err.message),
      );
    });
  }
});
