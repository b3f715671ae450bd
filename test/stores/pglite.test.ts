import { PGlite } from '@electric-sql/pglite';
import { createPgliteStore } from '../../src/stores/pglite/index.js';
import type { HarnessOptions } from './harness.js';
import { storeContract } from './contract.js';
import { queriesContract } from './queries-contract.js';

const db = new PGlite();

storeContract(queriesContract({
  name: 'pglite',
  sql: true,
  async create(options: HarnessOptions = {}) {
    const table = `${options.table ?? 'outbox'}_${Math.random().toString(36).slice(2, 8)}`;
    const make = () => createPgliteStore({ db, ...options, table });
    const store = make();
    await store.migrate();
    return {
      store,
      commit: (fn) => store.transaction(async (tx) => void (await fn(tx))),
      rollback: (fn) =>
        db.transaction(async (tx) => {
          await fn(tx);
          await tx.rollback();
        }),
      second: async () => make(),
      rowCount: async () => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${table}"`)).rows[0]!.n,
    };
  },
  close: () => db.close(),
}));
