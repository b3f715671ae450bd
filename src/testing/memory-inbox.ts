import { systemClock, type Clock } from '../core/clock.js';
import type { InboxStore } from '../core/inbox.js';
import type { MemoryTransaction } from './memory-store.js';

interface Entry {
  receivedAt: number;
  result: string | null;
}

/**
 * An inbox in memory, for tests, with a database's semantics: a second transaction recording
 * the same id waits for the first one to commit (duplicate) or roll back (fresh), as a unique
 * index would make it wait.
 */
export function createMemoryInbox(options: { clock?: Clock } = {}): InboxStore<MemoryTransaction> {
  const clock = options.clock ?? systemClock;
  const rows = new Map<string, Entry>();
  const inFlight = new Map<string, Promise<boolean>>();
  const staged = new WeakMap<MemoryTransaction, Map<string, Entry>>();
  const id = (consumer: string, messageId: string) => JSON.stringify([consumer, messageId]);

  const find = (tx: MemoryTransaction, key: string) => staged.get(tx)?.get(key) ?? rows.get(key);

  return {
    kind: 'memory',
    async record(tx, consumer, messageId) {
      const key = id(consumer, messageId);
      for (;;) {
        if (find(tx, key)) return false;
        const holder = inFlight.get(key);
        if (!holder) break;
        if (await holder) return false;
      }
      let settle!: (committed: boolean) => void;
      inFlight.set(key, new Promise((r) => (settle = r)));
      const entry: Entry = { receivedAt: clock.now(), result: null };
      if (!staged.has(tx)) staged.set(tx, new Map());
      staged.get(tx)!.set(key, entry);
      tx.onCommit.push(() => {
        rows.set(key, entry);
        inFlight.delete(key);
        settle(true);
      });
      tx.onRollback.push(() => {
        inFlight.delete(key);
        settle(false);
      });
      return true;
    },
    async storedResult(tx, consumer, messageId) {
      return find(tx, id(consumer, messageId))?.result ?? null;
    },
    async saveResult(tx, consumer, messageId, json) {
      const entry = find(tx, id(consumer, messageId));
      if (entry) entry.result = json;
    },
    async cleanup(windowMs, limit) {
      const cutoff = clock.now() - windowMs;
      const old = [...rows].filter(([, e]) => e.receivedAt < cutoff).slice(0, limit);
      old.forEach(([key]) => rows.delete(key));
      return old.length;
    },
    migrate: async () => {},
    schemaSql: () => '-- the memory inbox keeps no schema',
  };
}
