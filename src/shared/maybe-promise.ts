/**
 * A value now, or a promise of it later. A warm admission (namespace labels and image facts already in memory) is
 * decided without a single promise: every `await` costs microtask turns and allocations on each review, and the
 * server's deadline timers are only armed for a review that really waits. graphql-js executes with the same
 * PromiseOrValue pattern for the same reason.
 */
export type MaybePromise<T> = T | Promise<T>;

export function isPromise<T>(value: MaybePromise<T>): value is Promise<T> {
  return value instanceof Promise;
}

/** `next(value)`, at once when the value is here, after it settles otherwise. A synchronous throw stays synchronous. */
export function whenReady<T, U>(value: MaybePromise<T>, next: (value: T) => MaybePromise<U>): MaybePromise<U> {
  return isPromise(value) ? value.then(next) : next(value);
}

/** Promise.all, without a promise when every value is already here. */
export function allReady<T>(values: readonly MaybePromise<T>[]): MaybePromise<T[]> {
  return values.some(isPromise) ? Promise.all(values) : (values as T[]);
}
