import type { Metric, Registry } from 'prom-client';

/** One exported sample, as prom-client's registry renders it. */
interface Sample {
  readonly labels: Readonly<Record<string, string | number>>;
  /** The series' own labels (rendered after `labels`, as prom-client renders a histogram's). */
  readonly sharedLabels: Readonly<Record<string, string>>;
  readonly value: number;
  readonly metricName: string;
}

/**
 * A histogram for the admission path, exposed through a prom-client registry in prom-client's own export shape
 * (the `get()` the registry renders, as its Histogram returns). prom-client's `observe` builds and hashes a label
 * key on every call, a cost the admission path noticed (bench/PERFORMANCE.md, "Throughput (target 1): what was
 * changed, and kept"). Here an observation finds its series by two Map lookups on strings and adds one to an array
 * slot.
 */
export class CountedHistogram<L extends string> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, Map<string, Series>>();
  /** Every series in the order first observed (prom-client's rendering order). */
  private readonly ordered: Series[] = [];

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly [L, L],
    private readonly buckets: readonly number[],
  ) {}

  /** Records one observation for the series `first`/`second` (the values of the two label names, in order). */
  observe(first: string, second: string, value: number): void {
    let bySecond = this.series.get(first);
    if (bySecond === undefined) this.series.set(first, (bySecond = new Map()));
    let series = bySecond.get(second);
    if (series === undefined) {
      const [firstName, secondName] = this.labelNames;
      series = { labels: { [firstName]: first, [secondName]: second }, first, second, counts: new Array<number>(this.buckets.length).fill(0), sum: 0, count: 0 };
      bySecond.set(second, series);
      this.ordered.push(series);
    }
    const { buckets } = this;
    let i = 0;
    while (i < buckets.length && value > (buckets[i] ?? Infinity)) i++;
    if (i < buckets.length) series.counts[i] = (series.counts[i] ?? 0) + 1;
    series.sum += value;
    series.count++;
  }

  /** The registry's view: cumulative buckets (le), +Inf, sum and count per series, as prom-client's Histogram gives. */
  get(): { name: string; help: string; type: 'histogram'; values: Sample[]; aggregator: 'sum' } {
    const values: Sample[] = [];
    const bucket = `${this.name}_bucket`;
    for (const { labels, counts, sum, count } of this.ordered) {
      let cumulative = 0;
      this.buckets.forEach((le, i) => {
        cumulative += counts[i] ?? 0;
        values.push({ labels: { le }, sharedLabels: labels, value: cumulative, metricName: bucket });
      });
      values.push({ labels: { le: '+Inf' }, sharedLabels: labels, value: count, metricName: bucket });
      values.push({ labels: {}, sharedLabels: labels, value: sum, metricName: `${this.name}_sum` });
      values.push({ labels: {}, sharedLabels: labels, value: count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  /** Every series with its observation count, e.g. to move a counter of the same events at render time. */
  forEachSeries(visit: (first: string, second: string, count: number) => void): void {
    for (const { first, second, count } of this.ordered) visit(first, second, count);
  }

  reset(): void {
    this.series.clear();
    this.ordered.length = 0;
  }

  /** Adds it to `registry`, which renders (and resets) it like its own metrics: it only calls get() and reset(). */
  register(registry: Registry): this {
    registry.registerMetric(this as unknown as Metric);
    return this;
  }
}

interface Series {
  readonly labels: Readonly<Record<string, string>>;
  readonly first: string;
  readonly second: string;
  /** Observations per bucket (not cumulative); above the last bound they are only in `count`. */
  readonly counts: number[];
  sum: number;
  count: number;
}
