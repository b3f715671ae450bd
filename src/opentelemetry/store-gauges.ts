import type { Attributes, Meter, ObservableResult } from '@opentelemetry/api';
import { invalidOption, TxboxError } from '../core/errors.js';
import type { OutboxCounts } from '../core/stats.js';
import type { OutboxKey } from '../core/store.js';
import { ATTR, METRIC } from './names.js';

/** What the gauges read of a store's `stats()` answer. */
export type OutboxStatsLike = Pick<OutboxCounts, 'pending' | 'due' | 'delayed' | 'inFlight' | 'dead' | 'lagMs'>;

export interface StatsSourceLike {
  readonly key: OutboxKey;
  stats?(): Promise<OutboxStatsLike>;
}

export interface ObserveStoreOptions {
  /** How often `stats()` is queried; scrapes read the last answer. Default 15000. */
  intervalMs?: number;
}

export interface StoreObservation {
  /** Stops querying and removes the store's gauges' values. Idempotent. */
  stop(): void;
}

interface Entry {
  attributes: Attributes;
  last?: OutboxStatsLike | undefined;
}

/**
 * Observable gauges of pending, due, delayed, in-flight and dead messages and of the lag, per
 * outbox, read from each store's `stats()` answer cached on an interval: a scrape never queries
 * the database. A failed refresh drops the outbox's values until the next answer, so a stale
 * figure never reads as current.
 */
export function storeGauges(meter: Meter) {
  const entries = new Set<Entry>();
  const gauge = (name: string, unit: string, description: string, read: (s: OutboxStatsLike) => number | null) => {
    meter.createObservableGauge(name, { unit, description }).addCallback((result: ObservableResult) => {
      for (const e of entries) {
        const value = e.last ? read(e.last) : null;
        if (value !== null) result.observe(value, e.attributes);
      }
    });
  };
  gauge(METRIC.pending, '{message}', 'Messages not yet delivered (due, delayed and in flight)', (s) => s.pending);
  gauge(METRIC.due, '{message}', 'Pending messages that may go now', (s) => s.due);
  gauge(METRIC.delayed, '{message}', 'Pending messages not yet due', (s) => s.delayed);
  gauge(METRIC.inFlight, '{message}', 'Messages claimed by a relay', (s) => s.inFlight);
  gauge(METRIC.dead, '{message}', 'Dead letters', (s) => s.dead);
  gauge(METRIC.lag, 's', 'Age of the oldest due message', (s) => s.lagMs / 1000);

  return (store: StatsSourceLike, options: ObserveStoreOptions = {}): StoreObservation => {
    if (typeof store?.stats !== 'function') {
      throw new TxboxError('NOT_SUPPORTED', `the ${String(store?.key?.kind)} store has no stats(): gauges need it`);
    }
    const intervalMs = options.intervalMs ?? 15_000;
    if (!(Number.isInteger(intervalMs) && intervalMs >= 100)) throw invalidOption('intervalMs', intervalMs, 'must be an integer >= 100');
    const entry: Entry = { attributes: { [ATTR.outboxKind]: store.key.kind, [ATTR.outboxName]: store.key.name } };
    entries.add(entry);
    let stopped = false;
    let refreshing = false;
    const refresh = () => {
      if (refreshing || stopped) return; // a slow answer is never queued behind another
      refreshing = true;
      store.stats!().then(
        (s) => {
          if (!stopped) entry.last = s;
        },
        () => {
          entry.last = undefined;
        },
      ).finally(() => {
        refreshing = false;
      });
    };
    refresh();
    const timer = setInterval(refresh, intervalMs);
    timer.unref?.();
    return {
      stop() {
        stopped = true;
        clearInterval(timer);
        entries.delete(entry);
      },
    };
  };
}
