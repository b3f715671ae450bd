import type { Committed, HistoryEntry } from './checker.js';
import type { StoreKind } from './processes/config.js';

/** A stretch of wall-clock time, [from, to] in ms. */
export interface Interval {
  from: number;
  to: number;
}

/** What a row's relays were configured with: the inputs of its stall bound. */
export interface StallSettings {
  kind: StoreKind;
  claimTimeoutMs: number;
  pollIntervalMs: number;
  produceTimeoutMs: number;
}

/** Scheduling noise on the shared 2-core machine: process start-up, GC, fsync, a busy neighbour. */
export const SCHEDULING_SLACK_MS = 1000;

/**
 * How long a claim can keep a message from other relays after its relay stopped helping (killed,
 * paused, wedged): the lease, or in lock mode the server-side timeout that ends the claim's
 * transaction. MariaDB's lock mode rounds it up to whole seconds (the server's wait_timeout).
 */
export function claimExpiryMs(kind: StoreKind, claimTimeoutMs: number): number {
  return kind === 'mysql-lock' ? Math.max(1, Math.ceil(claimTimeoutMs / 1000)) * 1000 : claimTimeoutMs;
}

/**
 * The liveness promise of design.md (guarantee 7) as a number, in ONE place: a message that may
 * go waits at most for a claim that holds it to expire, one produce call to time out, two poll
 * intervals (the relay was asleep, then its claim just missed the commit), and scheduling noise.
 * Anything longer means something that should not hold it did: another key's head, typically.
 */
export function stallBoundMs(s: StallSettings): number {
  return claimExpiryMs(s.kind, s.claimTimeoutMs) + s.produceTimeoutMs + 2 * s.pollIntervalMs + SCHEDULING_SLACK_MS;
}

export interface StallInput {
  committed: readonly Committed[];
  /** Commit times come from the writers' histories (`commit` entries). */
  history: readonly HistoryEntry[];
  /** First time each message left a relay (the sink's own log, or the relay's publish log for a broker). */
  delivered: ReadonlyMap<string, number>;
  deadAt: ReadonlyMap<string, number>;
  /** Messages a relay failed at least once: in backoff, their own due time is the relay's business. */
  failed: ReadonlySet<string>;
  /** Times no healthy relay could deliver anything: outages, or no relay running. */
  outages: readonly Interval[];
  /** When the observation was made: messages never delivered waited until then. */
  end: number;
}

export interface Stall {
  ms: number;
  /** The message that waited longest, for the notes. */
  worst?: { id: string; key: string; v: number; deliverableAt: number; deliveredAt: number | null };
  /** Messages measured (deliverable, never failed themselves). */
  measured: number;
}

/**
 * The longest time a deliverable message waited beyond the moment it became deliverable (due:
 * committed and its delay passed; and every older message of its key delivered or dead), not
 * counting outages. Messages that failed themselves are not measured (their retry time is the
 * backoff's), but they still hold their key's later messages, which are measured from the
 * moment the failed one went.
 */
export function longestStall(s: StallInput): Stall {
  const commitAt = new Map<string, number>();
  for (const h of s.history) if (h.ev === 'commit') commitAt.set(h.id, h.t);
  const byKey = new Map<string, Committed[]>();
  for (const c of s.committed) {
    const list = byKey.get(c.key);
    if (list) list.push(c);
    else byKey.set(c.key, [c]);
  }
  const outages = merged(s.outages);
  const stall: Stall = { ms: 0, measured: 0 };
  for (const list of byKey.values()) {
    list.sort((a, b) => a.version - b.version);
    let blockedUntil = -Infinity;
    for (const c of list) {
      const due = Math.max(commitAt.get(c.id) ?? c.sentAtMs, c.sentAtMs + c.delayMs);
      const deliverableAt = Math.max(due, blockedUntil);
      const deliveredAt = s.delivered.get(c.id);
      blockedUntil = Math.max(blockedUntil, deliveredAt ?? s.deadAt.get(c.id) ?? Infinity);
      if (c.poison || s.failed.has(c.id) || !Number.isFinite(deliverableAt)) continue;
      stall.measured++;
      const until = deliveredAt ?? s.end;
      if (until <= deliverableAt) continue;
      const waited = until - deliverableAt - overlap(outages, deliverableAt, until);
      if (waited > stall.ms) {
        stall.ms = Math.round(waited);
        stall.worst = { id: c.id, key: c.key, v: c.version, deliverableAt, deliveredAt: deliveredAt ?? null };
      }
    }
  }
  return stall;
}

/** Sorted, non-overlapping intervals. */
export function merged(intervals: readonly Interval[]): Interval[] {
  const sorted = intervals.filter((i) => i.to > i.from).sort((a, b) => a.from - b.from);
  const out: Interval[] = [];
  for (const i of sorted) {
    const last = out[out.length - 1];
    if (last && i.from <= last.to) last.to = Math.max(last.to, i.to);
    else out.push({ ...i });
  }
  return out;
}

function overlap(intervals: readonly Interval[], from: number, to: number): number {
  let total = 0;
  for (const i of intervals) total += Math.max(0, Math.min(to, i.to) - Math.max(from, i.from));
  return total;
}

/** The times in [from, to] covered by none of `alive`: no relay was running. */
export function gaps(alive: readonly Interval[], from: number, to: number): Interval[] {
  const out: Interval[] = [];
  let cursor = from;
  for (const i of merged(alive)) {
    if (i.from > cursor) out.push({ from: cursor, to: Math.min(i.from, to) });
    cursor = Math.max(cursor, i.to);
  }
  if (cursor < to) out.push({ from: cursor, to });
  return out;
}
