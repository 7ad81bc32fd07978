import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AGGREGATE_PREFIX, EventCorrelator, eventName, type Correlated, type CoreEvent } from './event-correlator.js';

const T0 = Date.parse('2026-11-28T10:00:00Z');

/** A correlator on a clock the test moves. */
function correlator() {
  let now = T0;
  const c = new EventCorrelator({ now: () => now });
  return { c, advance: (ms: number) => void (now += ms), at: () => new Date(now).toISOString() };
}

function event(overrides: { name?: string; message?: string; reason?: string; at?: string } = {}): CoreEvent {
  const at = overrides.at ?? new Date(T0).toISOString();
  const name = overrides.name ?? 'web';
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: eventName(name, BigInt(Date.parse(at)) * 1_000_000n), namespace: 'shop' },
    involvedObject: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name },
    type: 'Warning',
    reason: overrides.reason ?? 'Denied',
    message: overrides.message ?? '[prod/noShell] container "web" (shop/web:2.1): image has a shell: /bin/sh',
    source: { component: 'distroless-guard' },
    reportingComponent: 'distroless-guard',
    reportingInstance: 'guard-0',
    firstTimestamp: at,
    lastTimestamp: at,
    count: 1,
  };
}

const kinds = (results: readonly Correlated[]): string => {
  const runs: string[] = [];
  for (const r of results) {
    const last = runs.at(-1);
    const [kind, n] = last?.split('×') ?? [];
    if (kind === r.kind) runs[runs.length - 1] = `${r.kind}×${Number(n) + 1}`;
    else runs.push(`${r.kind}×1`);
  }
  return runs.join(' ');
};

describe('EventCorrelator (client-go tools/record defaults)', () => {
  it('the first event is created as it is', () => {
    const { c } = correlator();
    const e = event();
    assert.deepEqual(c.correlate(e), { kind: 'create', event: e });
  });

  it('the same event again patches the stored one: count 2, its name and first timestamp kept, lastTimestamp new', () => {
    const { c, advance, at } = correlator();
    const first = event();
    c.correlate(first);
    advance(1_500);
    const again = c.correlate(event({ at: at() }));
    assert.equal(again.kind, 'patch');
    if (again.kind !== 'patch') return;
    assert.deepEqual(again.patch, { count: 2, lastTimestamp: at(), message: first.message });
    assert.deepEqual([again.event.metadata.name, again.event.firstTimestamp], [first.metadata.name, first.firstTimestamp]);
  });

  it('50 identical events at once: one created, 24 patched (count 25), the other 25 dropped by the spam filter', () => {
    const { c } = correlator();
    const results = Array.from({ length: 50 }, () => c.correlate(event()));
    assert.equal(kinds(results), 'create×1 patch×24 skip×25');
    const last = results[24];
    assert.equal(last?.kind === 'patch' ? last.patch.count : 0, 25);
  });

  it('the budget refills at one event per 5 minutes, and that Event carries every occurrence counted, the dropped ones too (52)', () => {
    const { c, advance, at } = correlator();
    for (let i = 0; i < 50; i++) c.correlate(event());
    advance(299_000);
    assert.equal(c.correlate(event({ at: at() })).kind, 'skip', 'not yet a whole token');
    advance(1_000);
    const refilled = c.correlate(event({ at: at() }));
    assert.equal(refilled.kind === 'patch' ? refilled.patch.count : 0, 52);
    assert.equal(c.correlate(event({ at: at() })).kind, 'skip');
  });

  it('another object has its own budget', () => {
    const { c } = correlator();
    for (let i = 0; i < 30; i++) c.correlate(event());
    assert.equal(c.correlate(event({ name: 'api' })).kind, 'create');
  });

  it('the 10th distinct message of one object and reason within 10 minutes is aggregated, and the next ones patch that Event', () => {
    const { c, advance, at } = correlator();
    const results = Array.from({ length: 9 }, (_, i) => c.correlate(event({ message: `finding ${i}` })));
    assert.equal(kinds(results), 'create×9');
    advance(60_000);
    const tenth = c.correlate(event({ message: 'finding 9', at: at() }));
    assert.equal(tenth.kind, 'create');
    assert.equal(tenth.kind === 'create' ? tenth.event.message : '', `${AGGREGATE_PREFIX}finding 9`);
    const eleventh = c.correlate(event({ message: 'finding 10', at: at() }));
    assert.equal(eleventh.kind, 'patch');
    if (eleventh.kind !== 'patch' || tenth.kind !== 'create') return;
    assert.equal(eleventh.event.metadata.name, tenth.event.metadata.name);
    assert.deepEqual(eleventh.patch, { count: 2, lastTimestamp: at(), message: `${AGGREGATE_PREFIX}finding 10` });
  });

  it('another reason is aggregated apart', () => {
    const { c } = correlator();
    for (let i = 0; i < 12; i++) c.correlate(event({ message: `finding ${i}` }));
    const other = c.correlate(event({ reason: 'DryRunViolation', message: 'finding 0' }));
    assert.equal(other.kind === 'create' ? other.event.message : '', 'finding 0');
  });

  it('after 10 minutes without a similar event, aggregation starts over', () => {
    const { c, advance, at } = correlator();
    for (let i = 0; i < 9; i++) c.correlate(event({ message: `finding ${i}` }));
    advance(600_001);
    const fresh = c.correlate(event({ message: 'finding 9', at: at() }));
    assert.equal(fresh.kind === 'create' ? fresh.event.message : '', 'finding 9');
  });

  it('what the API server answered (name, resourceVersion) is what the next patch is made from', () => {
    const { c } = correlator();
    const created = c.correlate(event());
    if (created.kind !== 'create') return assert.fail(created.kind);
    c.stored({ ...created.event, metadata: { ...created.event.metadata, resourceVersion: '812' } });
    const next = c.correlate(event());
    assert.equal(next.kind === 'patch' ? next.event.metadata.resourceVersion : '', '812');
  });

  it('names a new Event as client-go does (the object name and the time in hexadecimal nanoseconds), never twice the same', () => {
    const { c } = correlator();
    const nanos = BigInt(T0) * 1_000_000n;
    assert.deepEqual(
      [c.nameFor('web'), c.nameFor('web'), c.nameFor('api')],
      [`web.${nanos.toString(16)}`, `web.${(nanos + 1n).toString(16)}`, `api.${(nanos + 2n).toString(16)}`],
    );
  });
});
