import type { Clock } from '../core/clock.js';
import { invalidArgument } from '../core/errors.js';
import type { ScheduleStore, StoredSchedule } from '../core/schedule-store.js';
import type { TransactionRunner } from './dispatch.js';
import type { PublishInput } from './publish.js';
import { nextTick, tickMessage, toStoredSchedule, type ScheduleDefinition } from './schedule.js';

export interface SchedulerDeps<Tx> {
  store: ScheduleStore<Tx>;
  transaction: TransactionRunner<Tx>;
  publish(tx: Tx, input: PublishInput, sync: boolean): Promise<void>;
  subscribed(topic: string): boolean;
  clock: Clock;
  /** A tick was published (or the check failed). */
  onFired(schedule: StoredSchedule): void;
  onError(error: unknown): void;
}

export interface Scheduler {
  set(definition: ScheduleDefinition): Promise<void>;
  remove(name: string): Promise<boolean>;
  list(): Promise<StoredSchedule[]>;
  /** Publishes every due tick now. Returns how many fired. */
  fireDue(): Promise<number>;
  /** Checks for due ticks every `intervalMs` until the signal aborts. */
  run(intervalMs: number, stop: AbortSignal): Promise<void>;
}

const DUE_PER_ROUND = 100;

/**
 * Fires due schedules. Advancing a schedule (a conditional update on its next tick) and publishing
 * the tick happen in one transaction: whichever process advances it publishes it, once. After
 * downtime, missed ticks collapse into one and the schedule resumes from now.
 */
export function createScheduler<Tx>(deps: SchedulerDeps<Tx>): Scheduler {
  const { store, transaction: runner, clock } = deps;
  if (runner.mode === 'sync' && !(store.saveSync && store.removeSync && store.dueSync && store.advanceSync)) {
    throw invalidArgument('schedules', store, `the ${store.kind} schedule store has no synchronous methods for a synchronous transaction`);
  }

  const nextAfter = (s: StoredSchedule) => nextTick(s.cron, s.timezone, new Date(Math.max(clock.now(), s.nextRunAt.getTime())));

  const fireSync = (tx: Tx) => {
    let fired = 0;
    for (const s of store.dueSync!(tx, DUE_PER_ROUND)) {
      const next = nextAfter(s);
      const won = next === null ? store.removeSync!(tx, s.name) : store.advanceSync!(tx, s.name, s.nextRunAt, next);
      if (!won) continue;
      void deps.publish(tx, tickMessage(s), true);
      deps.onFired(s);
      fired++;
    }
    return fired;
  };

  const fireAsync = async (tx: Tx) => {
    let fired = 0;
    for (const s of await store.due(tx, DUE_PER_ROUND)) {
      const next = nextAfter(s);
      const won = next === null ? await store.remove(tx, s.name) : await store.advance(tx, s.name, s.nextRunAt, next);
      if (!won) continue;
      await deps.publish(tx, tickMessage(s), false);
      deps.onFired(s);
      fired++;
    }
    return fired;
  };

  const inTransaction = <T>(syncFn: (tx: Tx) => T, asyncFn: (tx: Tx) => Promise<T>): Promise<T> =>
    runner.mode === 'sync' ? Promise.resolve().then(() => runner.run(syncFn)) : runner.run(asyncFn);

  return {
    async set(definition) {
      const s = toStoredSchedule(definition, new Date(clock.now()));
      if (!deps.subscribed(s.topic)) throw invalidArgument('schedule.topic', s.topic, 'has no consumer subscribed to it');
      await inTransaction((tx) => store.saveSync!(tx, s), (tx) => store.save(tx, s));
    },
    remove: (name) => inTransaction((tx) => store.removeSync!(tx, name), (tx) => store.remove(tx, name)),
    list: () => store.list(),
    fireDue: () => inTransaction(fireSync, fireAsync),
    async run(intervalMs, stop) {
      while (!stop.aborted) {
        try {
          await inTransaction(fireSync, fireAsync);
        } catch (error) {
          deps.onError(error);
        }
        await clock.sleep(intervalMs, stop);
      }
    },
  };
}
