import type { Attributes, Meter, MetricOptions, ObservableResult } from '@opentelemetry/api';

/** One attribute set's running total. */
export interface Total {
  readonly attributes: Attributes;
  count: number;
}

/**
 * A monotonic count kept in memory, one running total per attribute set, and reported by an
 * observable counter when the SDK collects. For counts made on every message in the caller's
 * path (`send()`): adding to a number costs nothing, where a synchronous counter's `add` hashes
 * its attributes each time. Exporters see the same sum as from a counter.
 *
 * One per meter and instrument name, whatever the number of instrumented outboxes or
 * instrumentations sharing the meter: two callbacks observing the same attribute set would
 * replace each other's value instead of adding up.
 */
export class Totals {
  private readonly totals = new Map<string, Total>();

  private constructor(meter: Meter, name: string, options: MetricOptions) {
    meter.createObservableCounter(name, options).addCallback((result: ObservableResult) => {
      for (const t of this.totals.values()) result.observe(t.count, t.attributes);
    });
  }

  /** The running total of `key` (which names its attribute set), made with `attributes()` the first time. */
  total(key: string, attributes: () => Attributes): Total {
    let t = this.totals.get(key);
    if (!t) this.totals.set(key, (t = { attributes: attributes(), count: 0 }));
    return t;
  }

  private static readonly registry = new WeakMap<Meter, Map<string, Totals>>();

  static of(meter: Meter, name: string, options: MetricOptions): Totals {
    let byName = Totals.registry.get(meter);
    if (!byName) Totals.registry.set(meter, (byName = new Map()));
    let totals = byName.get(name);
    if (!totals) byName.set(name, (totals = new Totals(meter, name, options)));
    return totals;
  }
}
