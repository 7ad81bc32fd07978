import { setMaxListeners } from 'node:events';
import { parseGoDuration } from '../shared/duration.js';
import { memoized } from '../shared/memo.js';

/**
 * The API server appends `?timeout=10s` (the webhook's timeoutSeconds, 1–30 s, default 10) and gives up after it.
 * We answer before it, always: work gets a budget short of the deadline, and a last-resort answer is ready just
 * before it.
 */
export const DEFAULT_TIMEOUT_MS = 10_000;
const MIN_TIMEOUT_MS = 1_000;
const MAX_TIMEOUT_MS = 30_000;

/** The API server writes `?timeout=` as a Go duration ("10s"). */
export { parseGoDuration } from '../shared/duration.js';

export interface AdmissionBudget {
  /** When the API server stops waiting. */
  readonly timeoutMs: number;
  /** When registry calls and scans must have given up, leaving time to decide and answer. */
  readonly workMs: number;
  /** When the last-resort answer is sent if the review has not finished. */
  readonly answerMs: number;
}

/**
 * The budget of a request from its raw query string (what follows "?" in the URL; "" when none). The API server
 * sends the same query (`?timeout=10s`) on every call of a webhook: each distinct one is parsed once.
 */
export const budgetForQuery = memoized((query: string): AdmissionBudget => budgetFor(new URLSearchParams(query).get('timeout') ?? undefined), 64);

export function budgetFor(timeoutParameter: unknown): AdmissionBudget {
  const parsed = typeof timeoutParameter === 'string' ? parseGoDuration(timeoutParameter) : undefined;
  const timeoutMs = Math.min(MAX_TIMEOUT_MS, Math.max(MIN_TIMEOUT_MS, parsed ?? DEFAULT_TIMEOUT_MS));
  // A busy node delays timers by hundreds of milliseconds: keep up to 1 s between our last-resort answer and the
  // API server's deadline, and stop registry work well before that so the rules can still decide.
  return { timeoutMs, workMs: Math.round(timeoutMs * 0.7), answerMs: timeoutMs - Math.min(1_000, timeoutMs * 0.25) };
}

/** What a review is given to stop its work by: the signal, and the moment (epoch ms) it fires. */
export interface WorkDeadline {
  readonly signal: AbortSignal;
  readonly deadline: number;
}

/**
 * Work deadlines shared by the admissions whose budgets run out within the same window of `windowMs`: one
 * AbortController and one timer per window instead of one per admission, in the manner of a timer wheel (Netty's
 * HashedWheelTimer, the kernel's timer wheel). A deadline fires up to `windowMs` early, never late; a warm admission
 * (facts in memory) never looks at its signal, so this is all it costs.
 */
export class WorkDeadlines {
  private readonly windows = new Map<number, WorkDeadline>();

  constructor(private readonly windowMs = 50) {}

  /** The shared deadline at `at` (epoch ms) rounded down to its window. */
  at(at: number): WorkDeadline {
    const window = Math.floor(at / this.windowMs);
    const existing = this.windows.get(window);
    if (existing !== undefined) return existing;
    const controller = new AbortController();
    // Every review ending in this window may listen (a registry request each): no leak warning past 10 listeners.
    setMaxListeners(0, controller.signal);
    const shared: WorkDeadline = { signal: controller.signal, deadline: window * this.windowMs };
    this.windows.set(window, shared);
    const timer = setTimeout(() => {
      this.windows.delete(window);
      controller.abort(new DOMException('the admission work budget ran out', 'TimeoutError'));
    }, Math.max(0, shared.deadline - Date.now()));
    // Nothing waits on a window nobody uses any more: it must not keep a stopping process alive.
    timer.unref();
    return shared;
  }

  /** Windows not yet fired (for tests). */
  get pending(): number {
    return this.windows.size;
  }
}
