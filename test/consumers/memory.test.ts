import { createMemoryInbox, createMemorySchedules, createMemoryStore, type MemoryTransaction } from '../../src/testing/index.js';
import { consumersContract } from './contract.js';

consumersContract({
  name: 'memory',
  parallelTransactions: true,
  asyncHandlers: true,
  async create() {
    const store = createMemoryStore();
    const counters = new Map<string, number>();
    return {
      store,
      inbox: createMemoryInbox(),
      schedules: createMemorySchedules(),
      write: async (fn) => void (await store.transaction(async (tx) => fn(tx))),
      bump: async (tx: MemoryTransaction, name) => {
        tx.onCommit.push(() => counters.set(name, (counters.get(name) ?? 0) + 1));
      },
      counter: async (name) => counters.get(name) ?? 0,
    };
  },
  async close() {},
});
