import { errorMessage } from './errors.js';
import type { RecoverableCondition, RelayEventListener } from './events.js';
import type { OutboxKey } from './store.js';

/**
 * What a liveness or readiness probe serves (docs/observability.md states the rules):
 * - live: the relay is running and a claim loop finished a cycle (claimed, or failed to) within
 *   `livenessTimeoutMs`. A relay whose loop hangs is not live; one whose database is down is.
 * - ready: live, a claim has answered since the start, and the latest claim and produce calls
 *   answered (`consecutiveFailures` is 0).
 */
export interface RelayHealth {
  readonly live: boolean;
  readonly ready: boolean;
  readonly running: boolean;
  readonly startedAt: Date | null;
  /** The last time a claim answered (with messages or none): the store is reachable. */
  readonly lastClaimAt: Date | null;
  /** The last time a claim loop finished a cycle, successful or not. */
  readonly lastCycleAt: Date | null;
  /** The last cycle in which the store answered and the producer, if it was called, did too. */
  readonly lastSuccessAt: Date | null;
  readonly lastFailureAt: Date | null;
  readonly lastError: string | null;
  /** Failed claims plus failed produce calls since the last one that answered. */
  readonly consecutiveFailures: number;
  readonly livenessTimeoutMs: number;
  /** Why the relay is not live or not ready; null when it is both. */
  readonly reason: string | null;
}

interface Streak {
  failures: number;
  since: number;
}

/** Kept by the claim loops; reads cost nothing. Emits `recovered` when a failure streak ends. */
export class HealthTracker {
  private startedAt: number | null = null;
  private running = false;
  private lastClaimAt: number | null = null;
  private lastCycleAt: number | null = null;
  private lastSuccessAt: number | null = null;
  private lastFailureAt: number | null = null;
  private lastError: string | null = null;
  private readonly streaks = { claim: { failures: 0, since: 0 }, produce: { failures: 0, since: 0 } };

  constructor(
    private readonly key: OutboxKey,
    private readonly livenessTimeoutMs: number,
    private readonly emit: RelayEventListener,
  ) {}

  started(now: number): void {
    this.running = true;
    this.startedAt = now;
    this.lastClaimAt = this.lastCycleAt = this.lastSuccessAt = this.lastFailureAt = null;
    this.lastError = null;
    this.streaks.claim.failures = this.streaks.produce.failures = 0;
  }

  stopped(): void {
    this.running = false;
  }

  claimAnswered(now: number): void {
    this.lastClaimAt = this.lastCycleAt = now;
    this.end('claim', 'claim.failed', now);
  }

  produceAnswered(now: number): void {
    this.end('produce', 'produce.failed', now);
    if (this.streaks.claim.failures === 0) this.lastSuccessAt = now;
  }

  /** A cycle that claimed nothing, or delivered what it claimed. */
  cycleSucceeded(now: number): void {
    if (this.streaks.claim.failures === 0 && this.streaks.produce.failures === 0) this.lastSuccessAt = now;
  }

  failed(kind: 'claim' | 'produce', error: unknown, now: number): void {
    const streak = this.streaks[kind];
    if (streak.failures++ === 0) streak.since = now;
    this.lastCycleAt = this.lastFailureAt = now;
    this.lastError = errorMessage(error);
  }

  read(now: number): RelayHealth {
    const consecutiveFailures = this.streaks.claim.failures + this.streaks.produce.failures;
    const progress = this.lastCycleAt ?? this.startedAt;
    const stalled = progress === null || now - progress > this.livenessTimeoutMs;
    const live = this.running && !stalled;
    const ready = live && this.lastClaimAt !== null && consecutiveFailures === 0;
    const reason = !this.running
      ? 'not running'
      : stalled
        ? `no claim cycle finished in the last ${this.livenessTimeoutMs} ms`
        : this.lastClaimAt === null
          ? 'no claim has answered yet'
          : consecutiveFailures > 0
            ? `${consecutiveFailures} consecutive failure(s): ${this.lastError}`
            : null;
    const date = (t: number | null) => (t === null ? null : new Date(t));
    return {
      live,
      ready,
      running: this.running,
      startedAt: date(this.startedAt),
      lastClaimAt: date(this.lastClaimAt),
      lastCycleAt: date(this.lastCycleAt),
      lastSuccessAt: date(this.lastSuccessAt),
      lastFailureAt: date(this.lastFailureAt),
      lastError: this.lastError,
      consecutiveFailures,
      livenessTimeoutMs: this.livenessTimeoutMs,
      reason,
    };
  }

  private end(kind: 'claim' | 'produce', condition: RecoverableCondition, now: number): void {
    const streak: Streak = this.streaks[kind];
    if (streak.failures === 0) return;
    this.emit({ type: 'recovered', key: this.key, condition, count: streak.failures, durationMs: now - streak.since });
    streak.failures = 0;
  }
}
