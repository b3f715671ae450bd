import { createFakeClock, createMemoryInbox, createMemoryStore, type MemoryTransaction } from '../../src/testing/index.js';
import { inboxContract } from './contract.js';

inboxContract({
  name: 'memory',
  async create() {
    const clock = createFakeClock();
    const outbox = createMemoryStore({ clock });
    const counters = new Map<string, number>();
    return {
      inbox: createMemoryInbox({ clock }),
      outbox,
      run: (fn) => outbox.transaction(fn),
      bump: async (tx: MemoryTransaction, name) => {
        tx.onCommit.push(() => counters.set(name, (counters.get(name) ?? 0) + 1));
      },
      counter: async (name) => counters.get(name) ?? 0,
      age: (ms) => clock.advance(ms),
    };
  },
  async close() {},
});
