/**
 * What an outbox holds right now, as a store answers `stats()`. Every pending message is in exactly
 * one of `due`, `delayed` and `inFlight`, so `pending = due + delayed + inFlight` (when `inFlight`
 * is known).
 */
export interface OutboxCounts {
  /** Not delivered and not dead, whatever its state. */
  readonly pending: number;
  /** Pending, available now and held by no relay: waiting to be claimed (or behind an older message of its key). */
  readonly due: number;
  /** Pending and not yet available: sent with a delay, or in backoff after a failure. */
  readonly delayed: number;
  /**
   * Claimed by a relay whose claim is alive. `null` when the store cannot tell (MySQL's lock
   * mode, where a claim is only a row lock); such messages then count as `due`.
   */
  readonly inFlight: number | null;
  /** Dead letters. */
  readonly dead: number;
  /** Age of the oldest due message (now − its availableAt), 0 when none is due. A delayed message is not lag. */
  readonly lagMs: number;
  /** When the oldest due message became available, or null. */
  readonly oldestDueAt: Date | null;
}

export interface OutboxStats extends OutboxCounts {
  /** The same counts per topic, when asked for with `{ byTopic: true }`. */
  readonly byTopic?: Readonly<Record<string, OutboxCounts>>;
}

export interface StatsOptions {
  /** Also count per topic (same single query, grouped). Default false. */
  readonly byTopic?: boolean;
}

/**
 * One row of a store's stats query: the counts of one topic (or of the whole table), from the
 * pending part or the dead part of the query. `inFlight` null: unknown.
 */
export interface StatsPart {
  readonly topic?: string | null;
  readonly pending: number;
  readonly delayed: number;
  readonly inFlight: number | null;
  readonly dead: number;
  /** Epoch ms of the oldest due message's availableAt, or null. */
  readonly oldestDueMs: number | null;
}

/** Adds up the parts of a stats answer. `nowMs` is the database's clock where the store has one. */
export function summarizeStats(parts: readonly StatsPart[], nowMs: number, byTopic: boolean): OutboxStats {
  const total = new Tally();
  const topics = new Map<string, Tally>();
  for (const p of parts) {
    total.add(p);
    if (!byTopic || p.topic == null) continue;
    let t = topics.get(p.topic);
    if (!t) topics.set(p.topic, (t = new Tally()));
    t.add(p);
  }
  const stats = total.counts(nowMs);
  if (!byTopic) return stats;
  return { ...stats, byTopic: Object.fromEntries([...topics].map(([topic, t]) => [topic, t.counts(nowMs)])) };
}

class Tally {
  private pending = 0;
  private delayed = 0;
  private inFlight: number | null = 0;
  private dead = 0;
  private oldest: number | null = null;

  add(p: StatsPart): void {
    this.pending += num(p.pending);
    this.delayed += num(p.delayed);
    this.dead += num(p.dead);
    this.inFlight = p.inFlight === null || this.inFlight === null ? null : this.inFlight + num(p.inFlight);
    if (p.oldestDueMs !== null && (this.oldest === null || p.oldestDueMs < this.oldest)) this.oldest = p.oldestDueMs;
  }

  counts(nowMs: number): OutboxCounts {
    const due = Math.max(0, this.pending - this.delayed - (this.inFlight ?? 0));
    return {
      pending: this.pending,
      due,
      delayed: this.delayed,
      inFlight: this.inFlight,
      dead: this.dead,
      lagMs: this.oldest === null ? 0 : Math.max(0, Math.round(nowMs - this.oldest)),
      oldestDueAt: this.oldest === null ? null : new Date(this.oldest),
    };
  }
}

/** Drivers return counts as numbers, bigints or strings (pg's bigint); SUM over no rows is NULL. */
const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
