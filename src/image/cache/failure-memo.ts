/**
 * Failures worth remembering by digest: a layer whose bytes verified against its digest and still could not be
 * indexed (a tar bomb, a gzip bomb, a header bomb, a corrupt tar) fails the same way every time, and finding that
 * out may take seconds of CPU. Remembered, the next admission of the image is answered at once instead of scanning
 * the bomb again (a ReplicaSet retrying a refused pod would otherwise keep a core busy). Never used for transport
 * failures, deadlines or anything else that may go differently next time. Bounded by entry count, oldest out first.
 */
export class FailureMemo<E extends Error> {
  private readonly failures = new Map<string, E>();

  constructor(private readonly maxEntries = 1_000) {
    if (!(maxEntries > 0)) throw new RangeError('FailureMemo needs room for at least one entry');
  }

  get(key: string): E | undefined {
    return this.failures.get(key);
  }

  set(key: string, error: E): void {
    this.failures.delete(key);
    this.failures.set(key, error);
    for (const oldest of this.failures.keys()) {
      if (this.failures.size <= this.maxEntries) break;
      this.failures.delete(oldest);
    }
  }

  get size(): number {
    return this.failures.size;
  }
}
