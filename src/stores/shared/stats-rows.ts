import type { StatsPart } from '../../core/stats.js';

/** A row of a store's stats query, under the same aliases in every dialect. */
export interface StatsRow {
  topic?: string | null;
  pending: unknown;
  in_flight: unknown;
  delayed: unknown;
  dead: unknown;
  /** Epoch ms (number), ISO-8601 UTC text (MySQL) or null. */
  oldest_due: unknown;
}

/** Counts come back as numbers, bigints or strings depending on the driver. */
export function statsPart(r: StatsRow): StatsPart {
  return {
    topic: r.topic ?? null,
    pending: Number(r.pending ?? 0),
    delayed: Number(r.delayed ?? 0),
    inFlight: r.in_flight === null ? null : Number(r.in_flight ?? 0),
    dead: Number(r.dead ?? 0),
    oldestDueMs: epochMs(r.oldest_due),
  };
}

export function epochMs(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'string' && !/^-?[\d.]+$/.test(v)) return Date.parse(v);
  return Number(v);
}
