import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isEmptyRecord } from './records.js';

describe('isEmptyRecord', () => {
  const cases: ReadonlyArray<[string, Record<string, unknown>, boolean]> = [
    ['no key', {}, true],
    ['one key', { runAsNonRoot: true }, false],
    ['a key whose value is undefined still counts', { a: undefined }, false],
    ['inherited keys only', Object.create({ inherited: 1 }) as Record<string, unknown>, true],
  ];
  for (const [name, record, expected] of cases) it(name, () => assert.equal(isEmptyRecord(record), expected));
});
