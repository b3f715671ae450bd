import { nextTick } from '../src/consumers/schedule.js';

/** A tick handled by a consumer: one effect row (its counter above 1 is a tick handled twice). */
export interface HandledTick {
  consumer: string;
  schedule: string;
  scheduledFor: number;
  n: number;
  at: number;
}

/** A schedule of the run: when it was first set, when removed, and its cron pattern. */
export interface ScheduleLife {
  name: string;
  cron: string;
  setAt: number;
  removedAt?: number;
}

/**
 * Which ticks a consumer is owed: those of `schedule` scheduled in (from, to]. `lateExempt` ticks
 * are owed but not timed (a rolling deploy's mixed versions can bounce a message between them).
 */
export interface Entitlement {
  consumer: string;
  schedule: string;
  from: number;
  to: number;
  /** Times in which this consumer's ticks are not timed. */
  untimed: { from: number; to: number }[];
  /** A consumer whose first attempts fail on purpose: owed, not timed. */
  flaky: boolean;
}

export interface TickFigures {
  owed: number;
  handled: number;
  missed: number;
  /** Ticks handled that must not exist: of a schedule after its removal, before it was set, or never set. */
  phantom: number;
  doubled: number;
  early: number;
  /** Ticks of one consumer and schedule handled out of their scheduled order. */
  disorder: number;
  /** The latest a timed owed tick was handled after its time. */
  lateMs: number;
  timed: number;
  examples: string[];
}

/** Every tick time of `cron` in (from, to]. */
export function ticksBetween(cron: string, from: number, to: number): number[] {
  const out: number[] = [];
  for (let t = nextTick(cron, null, new Date(from)); t !== null && t.getTime() <= to; t = nextTick(cron, null, t)) out.push(t.getTime());
  return out;
}

/**
 * Checks the handled ticks against what each consumer was owed: every owed tick handled once, not
 * before its time, in order per consumer and schedule, and within the lateness bound; nothing
 * handled for a schedule that did not exist at that tick.
 */
export function checkTicks(lives: readonly ScheduleLife[], owed: readonly Entitlement[], handled: readonly HandledTick[]): TickFigures {
  const f: TickFigures = { owed: 0, handled: 0, missed: 0, phantom: 0, doubled: 0, early: 0, disorder: 0, lateMs: 0, timed: 0, examples: [] };
  const byLife = new Map(lives.map((l) => [l.name, l]));
  const got = new Map(handled.map((h) => [`${h.consumer}|${h.schedule}|${h.scheduledFor}`, h]));
  for (const h of handled) {
    const life = byLife.get(h.schedule);
    if (!life || h.scheduledFor <= life.setAt - 1000 || (life.removedAt !== undefined && h.scheduledFor > life.removedAt)) {
      f.phantom++;
      if (f.examples.length < 5) f.examples.push(`phantom: ${h.consumer} handled ${h.schedule} @ ${new Date(h.scheduledFor).toISOString()}`);
    }
    if (h.n > 1) f.doubled += h.n - 1;
    if (h.at < h.scheduledFor) f.early++;
  }
  for (const e of owed) {
    const life = byLife.get(e.schedule)!;
    let lastHandledAt = -Infinity;
    for (const tick of ticksBetween(life.cron, e.from, e.to)) {
      f.owed++;
      const h = got.get(`${e.consumer}|${e.schedule}|${tick}`);
      if (!h) {
        f.missed++;
        if (f.examples.length < 5) f.examples.push(`missed: ${e.consumer} never handled ${e.schedule} @ ${new Date(tick).toISOString()}`);
        continue;
      }
      f.handled++;
      if (h.at < lastHandledAt) f.disorder++;
      lastHandledAt = Math.max(lastHandledAt, h.at);
      if (e.flaky || e.untimed.some((w) => tick > w.from && tick <= w.to)) continue;
      f.timed++;
      f.lateMs = Math.max(f.lateMs, h.at - tick);
    }
  }
  return f;
}
