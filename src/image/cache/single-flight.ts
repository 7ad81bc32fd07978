/**
 * Single-flight: concurrent callers asking for the same key share one job. Each caller waits with its own
 * AbortSignal and is released promptly when it fires; the job itself runs with its own signal, which fires only when
 * nobody waits any more and a grace period passed (0 = at once). So a job another caller still needs is never
 * cancelled by one caller's deadline, and a started job may finish in the background, bounded by the grace period.
 */

export interface FlightControl {
  /** Fires when nobody waits for the job and its grace period is over. */
  readonly signal: AbortSignal;
  /**
   * True while at least one caller waits: check before starting expensive work that was queued. Once it returns
   * false the job is forgotten (a later caller starts a new one), so the job should give up.
   */
  wanted(): boolean;
}

class Flight<V> {
  readonly controller = new AbortController();
  /** Set right after construction, before anyone can see the flight. */
  promise!: Promise<V>;
  waiters = 0;
  timer: NodeJS.Timeout | undefined;
}

export class SingleFlight<V> {
  private readonly flights = new Map<string, Flight<V>>();

  /** `graceMs`: how long the job may go on once its last caller left. */
  constructor(private readonly graceMs: number) {}

  run(key: string, callerSignal: AbortSignal, job: (control: FlightControl) => Promise<V>): Promise<V> {
    if (callerSignal.aborted) return Promise.reject(callerSignal.reason);
    let flight = this.flights.get(key);
    if (flight === undefined || flight.controller.signal.aborted) {
      const created = new Flight<V>();
      const control: FlightControl = {
        signal: created.controller.signal,
        wanted: () => {
          if (created.waiters > 0) return true;
          // Unwanted: forget it now, so nobody joins a job that is about to give up.
          if (this.flights.get(key) === created) this.flights.delete(key);
          return false;
        },
      };
      created.promise = Promise.resolve()
        .then(() => job(control))
        .finally(() => {
          if (created.timer !== undefined) clearTimeout(created.timer);
          if (this.flights.get(key) === created) this.flights.delete(key);
        });
      created.promise.catch(() => undefined); // a job nobody waits for must not become an unhandled rejection
      this.flights.set(key, created);
      flight = created;
    }
    return this.wait(key, flight, callerSignal);
  }

  /** Jobs running or queued. */
  get size(): number {
    return this.flights.size;
  }

  private wait(key: string, flight: Flight<V>, signal: AbortSignal): Promise<V> {
    flight.waiters++;
    if (flight.timer !== undefined) {
      clearTimeout(flight.timer);
      flight.timer = undefined;
    }
    return new Promise<V>((resolve, reject) => {
      let done = false;
      const onAbort = (): void => {
        if (done) return;
        done = true;
        this.leave(key, flight);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      flight.promise.then(
        (value) => {
          if (done) return;
          done = true;
          flight.waiters--;
          signal.removeEventListener('abort', onAbort);
          resolve(value);
        },
        (err: unknown) => {
          if (done) return;
          done = true;
          flight.waiters--;
          signal.removeEventListener('abort', onAbort);
          reject(err);
        },
      );
    });
  }

  private leave(key: string, flight: Flight<V>): void {
    flight.waiters--;
    if (flight.waiters > 0) return;
    const stop = (): void => {
      flight.timer = undefined;
      if (flight.waiters > 0) return;
      // Forget it first, so a new caller starts afresh instead of joining a cancelled job.
      if (this.flights.get(key) === flight) this.flights.delete(key);
      flight.controller.abort(new Error('no caller waits for this job any more'));
    };
    if (this.graceMs <= 0) stop();
    else {
      flight.timer = setTimeout(stop, this.graceMs);
      flight.timer.unref();
    }
  }
}
