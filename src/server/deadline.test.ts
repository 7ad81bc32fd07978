import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { budgetFor, budgetForQuery, parseGoDuration, WorkDeadlines } from './deadline.js';

describe('the API server timeout parameter', () => {
  const durations: Array<[string, number | undefined]> = [
    ['10s', 10_000],
    ['1m30s', 90_000],
    ['500ms', 500],
    ['2.5s', 2_500],
    ['10', undefined],
    ['', undefined],
    ['-1s', undefined],
  ];
  for (const [text, ms] of durations) it(`"${text}" is ${ms ?? 'not a duration'}`, () => assert.equal(parseGoDuration(text), ms));
  const budgets: Array<[string, unknown, number, number, number]> = [
    ['no parameter means the default 10 s', undefined, 10_000, 7_000, 9_000],
    ['5s stops registry work at 3.5 s and answers by 4 s at the latest', '5s', 5_000, 3_500, 4_000],
    ['more than the 30 s maximum is held to 30 s', '45s', 30_000, 21_000, 29_000],
    ['a tiny timeout is held to 1 s', '10ms', 1_000, 700, 750],
  ];
  for (const [name, parameter, timeoutMs, workMs, answerMs] of budgets) {
    it(name, () => assert.deepEqual(budgetFor(parameter), { timeoutMs, workMs, answerMs }));
  }

  const queries: Array<[string, string, number, number, number]> = [
    ['no query: the default', '', 10_000, 7_000, 9_000],
    ['the timeout alone', 'timeout=5s', 5_000, 3_500, 4_000],
    ['another parameter first, and over the maximum', 'dryRun=All&timeout=45s', 30_000, 21_000, 29_000],
    ['percent-encoded', 'timeout=%35s', 5_000, 3_500, 4_000],
    ['an empty timeout: the default', 'timeout=', 10_000, 7_000, 9_000],
    ['twice: the first wins', 'timeout=5s&timeout=7s', 5_000, 3_500, 4_000],
  ];
  for (const [name, query, timeoutMs, workMs, answerMs] of queries) {
    it(`the raw query "${query}" (${name}) gives a ${timeoutMs / 1000} s timeout, the same budget every time`, () => {
      assert.deepEqual(budgetForQuery(query), { timeoutMs, workMs, answerMs });
      assert.equal(budgetForQuery(query), budgetForQuery(query), 'each distinct query is parsed once');
    });
  }
});

describe('shared work deadlines', () => {
  it('admissions ending in the same window share one signal, which fires at the window start: early, never late', async () => {
    const deadlines = new WorkDeadlines(50);
    const base = Math.ceil((Date.now() + 200) / 50) * 50;
    const a = deadlines.at(base + 10);
    const b = deadlines.at(base + 49);
    const c = deadlines.at(base + 50);
    assert.equal(a, b);
    assert.notEqual(a.signal, c.signal);
    assert.equal(a.deadline, base);
    assert.equal(c.deadline, base + 50);
    assert.equal(deadlines.pending, 2);
    const fired = await new Promise<number>((resolve) => a.signal.addEventListener('abort', () => resolve(Date.now()), { once: true }));
    assert.ok(fired >= base - 5 && fired <= base + 40, `fired at ${fired - base} ms from the window start`);
    assert.equal((a.signal.reason as DOMException).name, 'TimeoutError');
    assert.match((a.signal.reason as DOMException).message, /work budget ran out/);
    await new Promise((resolve) => c.signal.addEventListener('abort', resolve, { once: true }));
    assert.equal(deadlines.pending, 0, 'fired windows are forgotten');
    assert.notEqual(deadlines.at(base + 10).signal, a.signal, 'a window past is a new one (already due)');
  });

  it('many listeners on one window raise no leak warning', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const { signal } = new WorkDeadlines(50).at(Date.now() + 60_000);
      for (let i = 0; i < 200; i++) signal.addEventListener('abort', () => undefined);
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(warnings.map((w) => w.message), []);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
