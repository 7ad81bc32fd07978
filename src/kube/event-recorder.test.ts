import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AdmissionEvent } from './admission-events.js';
import type { CoreEvent } from './event-correlator.js';
import { createEventRecorder, type EventResult, type EventSink } from './event-recorder.js';

const DENIED: AdmissionEvent = {
  namespace: 'shop',
  involvedObject: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web' },
  reason: 'Denied',
  message: '[prod/noShell] container "web" (shop/web:2.1): image has a shell: /bin/sh',
};

/** An API server in memory: what was created and patched, by name. */
function memorySink(behaviour: { failPatchWith?: number; failCreates?: number; gate?: Promise<void> } = {}) {
  const calls: string[] = [];
  const stored = new Map<string, CoreEvent>();
  let version = 0;
  let failCreates = behaviour.failCreates ?? 0;
  const sink: EventSink = {
    async create(event) {
      await behaviour.gate;
      calls.push(`create ${event.count}`);
      if (failCreates-- > 0) throw Object.assign(new Error('HTTP 500'), { code: 500 });
      if (stored.has(event.metadata.name)) throw Object.assign(new Error('HTTP 409: already exists'), { code: 409 });
      const answer = { ...event, metadata: { ...event.metadata, resourceVersion: String(++version) } };
      stored.set(event.metadata.name, answer);
      return answer;
    },
    async patch(event, patch) {
      calls.push(`patch ${patch.count}`);
      if (behaviour.failPatchWith !== undefined) {
        if (behaviour.failPatchWith === 404) stored.delete(event.metadata.name); // gone (Events expire after an hour)
        throw Object.assign(new Error(`HTTP ${behaviour.failPatchWith}`), { code: behaviour.failPatchWith });
      }
      const answer = { ...event, ...patch, metadata: { ...event.metadata, resourceVersion: String(++version) } };
      stored.set(event.metadata.name, answer);
      return answer;
    },
  };
  return { sink, calls, stored };
}

function recorder(sink: EventSink, maxQueued?: number) {
  const results: EventResult[] = [];
  const r = createEventRecorder({
    sink,
    component: 'distroless-guard',
    instance: 'guard-0',
    now: () => Date.parse('2026-11-28T10:00:00Z'),
    ...(maxQueued ? { maxQueued } : {}),
    onResult: (result) => results.push(result),
  });
  const tally = () => Object.fromEntries([...new Set(results)].map((k) => [k, results.filter((x) => x === k).length]));
  return { r, results, tally };
}

describe('the event recorder', () => {
  it('record returns before any API call is made (nothing on the admission path)', async () => {
    const { sink, calls } = memorySink();
    const { r } = recorder(sink);
    r.record([DENIED]);
    assert.deepEqual(calls, []);
    await r.idle();
    assert.deepEqual(calls, ['create 1']);
  });

  it('50 identical denials are one Event: created once, patched to count 25, the rest dropped by the spam filter', async () => {
    const { sink, stored } = memorySink();
    const { r, tally } = recorder(sink);
    for (let i = 0; i < 50; i++) r.record([DENIED]);
    await r.idle();
    assert.deepEqual(tally(), { created: 1, patched: 24, skipped: 25 });
    assert.deepEqual([...stored.values()].map((e) => [e.involvedObject.name, e.reason, e.count, e.type]), [['web', 'Denied', 25, 'Warning']]);
  });

  it('several Events on one object at the same millisecond get names of their own (no 409 AlreadyExists)', async () => {
    const { sink, stored } = memorySink();
    const { r, tally } = recorder(sink);
    r.record([DENIED, { ...DENIED, message: 'another rule' }, { ...DENIED, reason: 'DryRunViolation' }]);
    await r.idle();
    assert.deepEqual(tally(), { created: 3 });
    assert.equal(new Set([...stored.keys()]).size, 3);
  });

  it('a full queue drops what does not fit, and says so', async () => {
    let open = (): void => undefined;
    const { sink } = memorySink({ gate: new Promise<void>((resolve) => (open = resolve)) });
    const { r, tally } = recorder(sink, 3);
    r.record(Array.from({ length: 5 }, (_, i) => ({ ...DENIED, involvedObject: { ...DENIED.involvedObject, name: `web-${i}` } })));
    assert.deepEqual(tally(), { dropped: 2 });
    open();
    await r.idle();
    assert.deepEqual(tally(), { dropped: 2, created: 3 });
  });

  it('an Event gone from the API server (404 on the patch) is created again, with its count', async () => {
    const { sink, calls } = memorySink({ failPatchWith: 404 });
    const { r, tally } = recorder(sink);
    r.record([DENIED, DENIED]);
    await r.idle();
    assert.deepEqual(calls, ['create 1', 'patch 2', 'create 2']);
    assert.deepEqual(tally(), { created: 2 });
  });

  it('a failed write is counted as an error and the next event is still written', async () => {
    const { sink, calls } = memorySink({ failCreates: 1 });
    const { r, tally } = recorder(sink);
    r.record([DENIED, { ...DENIED, reason: 'DryRunViolation' }]);
    await r.idle();
    assert.deepEqual(calls, ['create 1', 'create 1']);
    assert.deepEqual(tally(), { error: 1, created: 1 });
  });

  it('after stop, events are dropped', async () => {
    const { sink } = memorySink();
    const { r, tally } = recorder(sink);
    await r.stop();
    r.record([DENIED]);
    assert.deepEqual(tally(), { dropped: 1 });
  });
});
