import type { Clock } from '../core/clock.js';
import { invalidArgument, TxboxError } from '../core/errors.js';
import type { ScheduleStore, StoredSchedule } from '../core/schedule-store.js';
import type { TransactionRunner } from './dispatch.js';
import type { PublishInput } from './publish.js';
import { nextTick, tickMessage, toStoredSchedule, type ScheduleDefinition } from './schedule.js';

export interface SchedulerDeps<Tx> {
  store: ScheduleStore<Tx>;
  transaction: TransactionRunner<Tx>;
  publish(tx: Tx, input: PublishInput, sync: boolean): Promise<void>;
  /** The topics this process has consumers for: only their schedules are fired here. */
  topics: readonly string[];
  clock: Clock;
  /** A tick was published and committed. */
  onFired(schedule: StoredSchedule): void;
  /** Checking for due schedules failed, or one schedule could not fire (the others still did). */
  onError(error: unknown): void;
}

export interface Scheduler {
  set(definition: ScheduleDefinition): Promise<void>;
  remove(name: string): Promise<boolean>;
  list(): Promise<StoredSchedule[]>;
  /** Publishes every due tick of this process's topics now. Returns how many fired. */
  fireDue(): Promise<number>;
  /** Checks for due ticks every `intervalMs` until the signal aborts. */
  run(intervalMs: number, stop: AbortSignal): Promise<void>;
}

const DUE_PER_ROUND = 100;

/**
 * Fires due schedules. Advancing a schedule (a conditional update on its next tick) and publishing
 * the tick happen in one transaction: whichever process advances it publishes it, once. Each
 * schedule fires in a transaction of its own, so one that fails rolls back only itself. Schedules
 * whose topic has no consumer in this process are not even read: several services can share one
 * table, and a stale schedule (a topic whose consumer a rolling deploy removed) blocks nobody.
 * After downtime, missed ticks collapse into one and the schedule resumes from now.
 */
export function createScheduler<Tx>(deps: SchedulerDeps<Tx>): Scheduler {
  const { store, transaction: runner, clock, topics } = deps;
  if (runner.mode === 'sync' && !(store.saveSync && store.removeSync && store.dueSync && store.advanceSync)) {
    throw invalidArgument('schedules', store, `the ${store.kind} schedule store has no synchronous methods for a synchronous transaction`);
  }

  const nextAfter = (s: StoredSchedule) => nextTick(s.cron, s.timezone, new Date(Math.max(clock.now(), s.nextRunAt.getTime())));

  const fireSync = (tx: Tx, s: StoredSchedule) => {
    const next = nextAfter(s);
    const won = next === null ? store.removeSync!(tx, s.name) : store.advanceSync!(tx, s.name, s.nextRunAt, next);
    if (won) void deps.publish(tx, tickMessage(s), true);
    return won;
  };

  const fireAsync = async (tx: Tx, s: StoredSchedule) => {
    const next = nextAfter(s);
    const won = next === null ? await store.remove(tx, s.name) : await store.advance(tx, s.name, s.nextRunAt, next);
    if (won) await deps.publish(tx, tickMessage(s), false);
    return won;
  };

  const inTransaction = <T>(syncFn: (tx: Tx) => T, asyncFn: (tx: Tx) => Promise<T>): Promise<T> =>
    runner.mode === 'sync' ? Promise.resolve().then(() => runner.run(syncFn)) : runner.run(asyncFn);

  const fireDue = async () => {
    if (topics.length === 0) return 0;
    // Read in a short transaction of its own: a row another scheduler is firing is skipped, and
    // nothing stays locked while the ticks fire one by one below.
    const due = await inTransaction((tx) => store.dueSync!(tx, DUE_PER_ROUND, topics), (tx) => store.due(tx, DUE_PER_ROUND, topics));
    let fired = 0;
    for (const s of due) {
      try {
        if (!(await inTransaction((tx) => fireSync(tx, s), (tx) => fireAsync(tx, s)))) continue;
      } catch (cause) {
        deps.onError(new TxboxError('PUBLISH_FAILED', `schedule ${JSON.stringify(s.name)} could not fire its tick due at ${s.nextRunAt.toISOString()}; it stays due`, { cause, field: 'schedule.name', value: s.name }));
        continue;
      }
      deps.onFired(s);
      fired++;
    }
    return fired;
  };

  return {
    async set(definition) {
      const s = toStoredSchedule(definition, new Date(clock.now()));
      if (!topics.includes(s.topic)) throw invalidArgument('schedule.topic', s.topic, 'has no consumer subscribed to it');
      await inTransaction((tx) => store.saveSync!(tx, s), (tx) => store.save(tx, s));
    },
    remove: (name) => inTransaction((tx) => store.removeSync!(tx, name), (tx) => store.remove(tx, name)),
    list: () => store.list(),
    fireDue,
    async run(intervalMs, stop) {
      while (!stop.aborted) {
        try {
          await fireDue();
        } catch (error) {
          deps.onError(error);
        }
        await clock.sleep(intervalMs, stop);
      }
    },
  };
}
