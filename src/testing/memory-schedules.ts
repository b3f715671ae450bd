import { systemClock, type Clock } from '../core/clock.js';
import type { ScheduleStore, StoredSchedule } from '../core/schedule-store.js';
import type { MemoryTransaction } from './memory-store.js';

/** Schedules in memory, applied when the memory transaction commits; for unit tests. */
export function createMemorySchedules(options: { clock?: Clock } = {}): ScheduleStore<MemoryTransaction> {
  const clock = options.clock ?? systemClock;
  const rows = new Map<string, StoredSchedule>();
  const firing = new Set<string>();
  return {
    kind: 'memory',
    async save(tx, s) {
      tx.onCommit.push(() => {
        const current = rows.get(s.name);
        const same = current !== undefined && current.cron === s.cron && current.timezone === s.timezone;
        rows.set(s.name, same ? { ...s, nextRunAt: current.nextRunAt } : s);
      });
    },
    async remove(tx, name) {
      tx.onCommit.push(() => rows.delete(name));
      return rows.has(name);
    },
    list: async () => [...rows.values()].sort((a, b) => a.name.localeCompare(b.name)),
    due: async (_tx, limit, topics) =>
      [...rows.values()].filter((s) => s.nextRunAt.getTime() <= clock.now() && topics.includes(s.topic)).sort((a, b) => a.nextRunAt.getTime() - b.nextRunAt.getTime()).slice(0, limit),
    async advance(tx, name, from, to) {
      const current = rows.get(name);
      // Like a row lock: a second transaction advancing the same tick loses.
      if (!current || current.nextRunAt.getTime() !== from.getTime() || firing.has(name)) return false;
      firing.add(name);
      tx.onCommit.push(() => {
        rows.set(name, { ...current, nextRunAt: to });
        firing.delete(name);
      });
      tx.onRollback.push(() => firing.delete(name));
      return true;
    },
    migrate: async () => {},
    schemaSql: () => '-- memory schedules keep no schema',
  };
}
