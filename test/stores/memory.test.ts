import { createMemoryStore } from '../../src/testing/index.js';
import { storeContract } from './contract.js';

storeContract({
  name: 'memory',
  sql: false,
  async create(options = {}) {
    const store = createMemoryStore({ completion: options.completion, claimTimeoutMs: options.claimTimeoutMs });
    return {
      store,
      commit: (fn) => store.transaction(fn),
      rollback: (fn) =>
        store.transaction(async (tx) => {
          await fn(tx);
          throw new Error('rollback');
        }).catch((e: Error) => {
          if (e.message !== 'rollback') throw e;
        }),
      second: async () => store,
      rowCount: async () => store.rowCount(),
    };
  },
  async close() {},
});
