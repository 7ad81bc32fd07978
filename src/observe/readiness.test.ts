import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createReadiness, describeReadiness } from './readiness.js';

describe('readiness', () => {
  it('with no checks it is ready', () => {
    const readiness = createReadiness();
    assert.equal(readiness.isReady(), true);
    assert.equal(describeReadiness(readiness.states()), 'readyz check passed\n');
  });

  it('a registered check starts not ready, and flips both ways', () => {
    const readiness = createReadiness();
    const check = readiness.register('informers', 'not synced');
    readiness.probe('tls', () => undefined);
    assert.deepEqual(readiness.states(), [{ name: 'informers', ok: false, reason: 'not synced' }, { name: 'tls', ok: true }]);
    assert.equal(describeReadiness(readiness.states()), '[-]informers failed: not synced\n[+]tls ok\nreadyz check failed\n');
    check.ready();
    assert.equal(readiness.isReady(), true);
    check.notReady('watch broken');
    assert.equal(readiness.isReady(), false);
  });

  it('a probe is evaluated on every call', () => {
    const readiness = createReadiness();
    let reason: string | undefined = 'expired';
    readiness.probe('tls', () => reason);
    assert.equal(readiness.isReady(), false);
    reason = undefined;
    assert.equal(readiness.isReady(), true);
  });

  it('a name is registered once', () => {
    const readiness = createReadiness();
    readiness.register('x', 'no');
    assert.throws(() => readiness.probe('x', () => undefined), /registered twice/);
  });
});
