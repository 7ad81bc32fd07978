import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseGoDuration } from './duration.js';

describe('parseGoDuration reads what Go time.ParseDuration reads, unsigned', () => {
  const cases: [string, string, number | undefined][] = [
    ['milliseconds', '500ms', 500],
    ['seconds, as the API server sends timeoutSeconds', '10s', 10_000],
    ['minutes', '1m', 60_000],
    ['an hour', '1h', 3_600_000],
    ['minutes and seconds', '1m30s', 90_000],
    ['hours and minutes', '2h45m', 9_900_000],
    ['every unit at once', '1h1m1s1ms1000us1000000ns', 3_661_003],
    ['a fraction', '1.5s', 1_500],
    ['a fraction with no integer part', '.5s', 500],
    ['a fraction with no digits after the dot', '5.s', 5_000],
    ['microseconds with a micro sign', '1500\u00b5s', 1.5],
    ['microseconds with a Greek mu', '1500\u03bcs', 1.5],
    ['a bare zero', '0', 0],
    ['a unit repeated, as Go allows', '1s1s', 2_000],
    ['leading zeros', '007s', 7_000],
  ];
  for (const [name, text, want] of cases) {
    it(`${name}: ${JSON.stringify(text)} → ${want} ms`, () => assert.equal(parseGoDuration(text), want));
  }

  const invalid: [string, string][] = [
    ['empty', ''],
    ['a number without a unit', '10'],
    ['a unit without a number', 's'],
    ['a dot alone', '.s'],
    ['a negative duration (Go reads it; nothing here means one)', '-1m'],
    ['a plus sign', '+2s'],
    ['a signed zero', '-0'],
    ['an unknown unit', '1d'],
    ['a unit in capitals', '1S'],
    ['a trailing number', '1m30'],
    ['a space inside', '1m 30s'],
    ['a space around', ' 1s'],
    ['two dots', '1.2.3s'],
    ['a name from Object.prototype as the unit', '1constructor'],
    ['an overflowing number', `${'9'.repeat(400)}h`],
    ['a bare zero with a unit after it', '0x'],
  ];
  for (const [name, text] of invalid) {
    it(`rejects ${name}: ${JSON.stringify(text.length > 20 ? `${text.slice(0, 20)}…` : text)}`, () => assert.equal(parseGoDuration(text), undefined));
  }

  it('takes linear time on long hostile input (no backtracking)', () => {
    const hostile = `${'1'.repeat(100_000)}.${'2'.repeat(100_000)}`; // digits and no unit: fails at the very end
    const started = performance.now();
    assert.equal(parseGoDuration(hostile), undefined);
    assert.equal(parseGoDuration('1s'.repeat(50_000)), 50_000_000);
    assert.ok(performance.now() - started < 500, 'parsed in well under a second');
  });
});
