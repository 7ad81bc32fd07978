import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  planCertificates,
  type CertificateAction,
  type CertificateFacts,
  type CertificatePolicy,
  type ServingFacts,
  type Validity,
} from './certificate-plan.js';

/**
 * Every time in the table is in minutes. Policy: serving certificates live 300, CAs 900, renewed with a third of
 * their life left (serving at 200, a CA at 600), a switch waits 10 after the bundle is in place, the previous CA
 * is retired 30 after the switch, no backdating unless a row says so.
 */
const MIN = 60_000;
const POLICY: CertificatePolicy = {
  servingLifetimeMs: 300 * MIN,
  caLifetimeMs: 900 * MIN,
  renewBeforeFraction: 1 / 3,
  switchAfterMs: 10 * MIN,
  retireAfterMs: 30 * MIN,
  backdateMs: () => 0,
};

const v = (notBefore: number, notAfter: number): Validity => ({ notBefore, notAfter });
const by = (issuer: ServingFacts['issuer'], notBefore = 0, notAfter = 300, namesMatch = true): ServingFacts => ({ issuer, notBefore, notAfter, namesMatch });
const old = (notBefore: number, notAfter: number) => ({ id: 'old', notBefore, notAfter });
/** Switched to the CA of 600 at 620 (or at a time not recorded); the CA of 0 still in the bundle. */
const UNRECORDED = { now: 640, ca: v(600, 1500), cert: by('signing', 620, 920), old: [old(0, 900)] } as const;
const SWITCHED = { ...UNRECORDED, switched: 620 } as const;
/** A CA of 600 whose bundle the webhooks do not hold yet; the certificate still of the CA of 0. */
const PENDING = { now: 610, ca: v(600, 1500), cert: by('other', 500, 800) } as const;

/** The facts in minutes: `ca` the signing CA, `cert` the serving certificate, `since` the bundle in place. */
interface Row {
  readonly now: number;
  readonly ca?: Validity;
  readonly cert?: ServingFacts;
  readonly old?: ReadonlyArray<Validity & { id: string }>;
  readonly since?: number;
  readonly switched?: number;
}

/** [what the Secret holds, the facts, the action expected, what else it says (times in minutes)]. */
const ROWS: ReadonlyArray<[string, Row, CertificateAction['kind'], Record<string, unknown>?]> = [
  ['an empty Secret: a new CA and serving certificate', { now: 0 }, 'issue'],
  ['an expired certificate and no CA key', { now: 400, cert: by('other') }, 'issue'],
  ['a CA key but no serving certificate', { now: 5, ca: v(0, 900) }, 'renew-serving'],
  ['a serving certificate no CA of the bundle signed', { now: 5, ca: v(0, 900), cert: by('none') }, 'renew-serving'],
  ['an expired serving certificate', { now: 300, ca: v(0, 900), cert: by('signing') }, 'renew-serving'],
  ['a valid certificate and no CA key (made by certs)', { now: 5, cert: by('other') }, 'rotate-ca-start'],
  ['a valid certificate of an expired CA key', { now: 5, ca: v(-900, 0), cert: by('other') }, 'rotate-ca-start'],
  ['a new CA not yet in the caBundle', PENDING, 'none'],
  ['a new CA in the caBundle for 7', { ...PENDING, now: 615, since: 608 }, 'none', { recheckAt: 618 }],
  ['a new CA in the caBundle for 10', { ...PENDING, now: 618, since: 608 }, 'rotate-ca-switch'],
  ['the previous CA, 20 after the switch', SWITCHED, 'none', { recheckAt: 650 }],
  ['the previous CA, 30 after the switch', { ...SWITCHED, now: 650 }, 'rotate-ca-finish', { drop: ['old'] }],
  ['an expired previous CA, no switch recorded', { ...UNRECORDED, now: 900 }, 'rotate-ca-finish', { drop: ['old'] }],
  ['a previous CA, no switch recorded', { ...UNRECORDED, old: [old(0, 700)] }, 'none', { recheckAt: 700 }],
  ['a certificate missing a name', { now: 5, ca: v(0, 900), cert: by('signing', 0, 300, false) }, 'renew-serving'],
  ['a CA, a third of its life left', { now: 600, ca: v(0, 900), cert: by('signing', 550, 850) }, 'rotate-ca-start'],
  ['a CA longer than --ca-lifetime', { now: 5, ca: v(0, 901), cert: by('signing') }, 'rotate-ca-start'],
  ['a certificate, a third of its life left', { now: 200, ca: v(0, 900), cert: by('signing') }, 'renew-serving'],
  ['a certificate longer than configured', { now: 5, ca: v(0, 900), cert: by('signing', 0, 301) }, 'renew-serving'],
  ['a fresh certificate and CA', { now: 100, ca: v(0, 900), cert: by('signing') }, 'none', { recheckAt: 200 }],
];

function inMs(row: Row): CertificateFacts {
  const ms = (v: Validity) => ({ ...v, notBefore: v.notBefore * MIN, notAfter: v.notAfter * MIN });
  return {
    now: row.now * MIN,
    ...(row.ca ? { signingCa: ms(row.ca) } : {}),
    ...(row.cert ? { serving: { ...row.cert, ...ms(row.cert) } } : {}),
    retiring: (row.old ?? []).map((ca) => ({ ...ca, ...ms(ca) })),
    ...(row.since === undefined ? {} : { bundleInPlaceSince: row.since * MIN }),
    ...(row.switched === undefined ? {} : { switchedAt: row.switched * MIN }),
  };
}

describe('planCertificates', () => {
  for (const [name, row, kind, more = {}] of ROWS) {
    it(`${name} → ${kind}`, () => {
      const { reason, ...action } = planCertificates(inMs(row), POLICY);
      assert.ok(reason.length > 0, 'says why');
      const recheckAt = more['recheckAt'];
      assert.deepEqual(action, { kind, ...more, ...(recheckAt === undefined ? {} : { recheckAt: Number(recheckAt) * MIN }) });
    });
  }

  it('counts the backdate and the second X.509 times may add as part of the configured lifetime', () => {
    const policy = { ...POLICY, backdateMs: () => 5 * MIN };
    const serving = (notAfterMs: number): ServingFacts => ({ issuer: 'signing', namesMatch: true, notBefore: -5 * MIN, notAfter: notAfterMs });
    const plan = (notAfterMs: number) => planCertificates({ now: 0, signingCa: v(0, 900 * MIN), serving: serving(notAfterMs), retiring: [] }, policy).kind;
    assert.equal(plan(300 * MIN + 1_000), 'none');
    assert.equal(plan(300 * MIN + 1_001), 'renew-serving');
  });
});
