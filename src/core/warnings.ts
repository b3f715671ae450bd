import type { Clock } from './clock.js';
import type { RelayEvent, RelayEventListener } from './events.js';
import type { OutboxStats } from './stats.js';
import type { OutboxKey, OutboxStore } from './store.js';

export interface WarningOptions {
  /** How often the relay reads the store's `stats()` to check the thresholds below. Default 15 s. */
  intervalMs?: number;
  /** `lag.high` while the oldest due message is older than this. Default 60 s; `Infinity` turns it off. */
  lagMs?: number;
  /** `backlog.growing` when more than this many messages stay due... Default 10 000; `Infinity` turns it off. */
  backlog?: number;
  /** ...for longer than this, without shrinking. Default 5 min. */
  backlogForMs?: number;
  /** `key.blocked` once the head of a key has failed this many times in a row. Default 5; `Infinity` turns it off. */
  keyFailures?: number;
}

export type ResolvedWarnings = Required<WarningOptions>;

/**
 * Warnings derived from what the relay sees: the stats it samples (lag, backlog) and the
 * failures it reports (blocked keys). Each is re-reported at every sample or failure while it
 * lasts (the logger collapses repeats) and ends with a `recovered` event.
 */
export class WarningMonitor {
  private lagSince: number | null = null;
  private lagReports = 0;
  private backlogSince: number | null = null;
  private backlogAtStart = 0;
  private backlogReports = 0;
  private statsFailures = 0;
  private statsFailingSince = 0;

  constructor(
    private readonly o: ResolvedWarnings,
    private readonly key: OutboxKey,
    private readonly clock: Clock,
    private readonly emit: RelayEventListener,
  ) {}

  /** Derives `key.blocked` from the relay's own failure events. */
  observe(e: RelayEvent): void {
    if (e.type !== 'message.failed' || e.messageKey === null || e.attempt < this.o.keyFailures) return;
    this.emit({ type: 'key.blocked', key: this.key, messageKey: e.messageKey, id: e.id, attempt: e.attempt, error: e.error });
  }

  sampled(stats: OutboxStats): void {
    const now = this.clock.now();
    if (this.statsFailures > 0) this.recovered('stats.failed', this.statsFailures, this.statsFailingSince, now);
    this.statsFailures = 0;
    this.emit({ type: 'stats.sampled', key: this.key, stats });
    this.checkLag(stats, now);
    this.checkBacklog(stats, now);
  }

  samplingFailed(error: unknown): void {
    if (this.statsFailures++ === 0) this.statsFailingSince = this.clock.now();
    this.emit({ type: 'stats.failed', key: this.key, error });
  }

  private checkLag(stats: OutboxStats, now: number): void {
    if (stats.lagMs > this.o.lagMs) {
      this.lagSince ??= now;
      this.lagReports++;
      this.emit({ type: 'lag.high', key: this.key, lagMs: stats.lagMs, thresholdMs: this.o.lagMs, oldestDueAt: stats.oldestDueAt });
    } else if (this.lagSince !== null) {
      this.recovered('lag.high', this.lagReports, this.lagSince, now);
      this.lagSince = null;
      this.lagReports = 0;
    }
  }

  private checkBacklog(stats: OutboxStats, now: number): void {
    if (stats.due <= this.o.backlog) {
      if (this.backlogReports > 0) this.recovered('backlog.growing', this.backlogReports, this.backlogSince!, now);
      this.backlogSince = null;
      this.backlogReports = 0;
      return;
    }
    if (this.backlogSince === null) {
      this.backlogSince = now;
      this.backlogAtStart = stats.due;
    }
    const forMs = now - this.backlogSince;
    // A backlog that is above the threshold but draining is the relay catching up: lag.high covers it if it is slow.
    if (forMs >= this.o.backlogForMs && stats.due >= this.backlogAtStart) {
      this.backlogReports++;
      this.emit({ type: 'backlog.growing', key: this.key, due: stats.due, threshold: this.o.backlog, forMs });
    }
  }

  private recovered(condition: 'stats.failed' | 'lag.high' | 'backlog.growing', count: number, since: number, now: number): void {
    this.emit({ type: 'recovered', key: this.key, condition, count, durationMs: now - since });
  }
}

/** Samples the store's stats every `intervalMs` until `stop`; never throws. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function monitorLoop(store: OutboxStore<any>, monitor: WarningMonitor, intervalMs: number, clock: Clock, stop: AbortSignal): Promise<void> {
  if (!store.stats) return;
  const stopped = new Promise<void>((resolve) => stop.addEventListener('abort', () => resolve(), { once: true }));
  while (!stop.aborted) {
    await clock.sleep(intervalMs, stop);
    if (stop.aborted) return;
    try {
      // A stats query stuck on a dead database must not hold up stop().
      const reading = store.stats();
      reading.catch(() => {}); // read below, unless stop() wins the race
      const stats = await Promise.race([reading, stopped]);
      if (stats) monitor.sampled(stats);
    } catch (error) {
      if (!stop.aborted) monitor.samplingFailed(error);
    }
  }
}
