import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { budgetFor, parseGoDuration } from './deadline.js';

describe('the API server timeout parameter', () => {
  const durations: Array<[string, number | undefined]> = [['10s', 10_000], ['1m30s', 90_000], ['500ms', 500], ['2.5s', 2_500], ['10', undefined], ['', undefined], ['-1s', undefined]];
  for (const [text, ms] of durations) it(`"${text}" is ${ms ?? 'not a duration'}`, () => assert.equal(parseGoDuration(text), ms));
  const budgets: Array<[string, unknown, number, number, number]> = [
    ['no parameter means the default 10 s', undefined, 10_000, 8_000, 9_500],
    ['5s leaves 1 s to decide and 0.5 s to answer', '5s', 5_000, 4_000, 4_500],
    ['more than the 30 s maximum is held to 30 s', '45s', 30_000, 24_000, 29_500],
    ['a tiny timeout is held to 1 s', '10ms', 1_000, 800, 900],
  ];
  for (const [name, parameter, timeoutMs, workMs, answerMs] of budgets) {
    it(name, () => assert.deepEqual(budgetFor(parameter), { timeoutMs, workMs, answerMs }));
  }
});
