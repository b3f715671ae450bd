import { PGlite } from '@electric-sql/pglite';
import { createPgliteInbox, createPgliteSchedules, createPgliteStore } from '../../src/stores/pglite/index.js';
import { pgEffects } from '../inbox/pg-effects.js';
import { consumersContract } from './contract.js';

const db = new PGlite();

consumersContract({
  name: 'pglite',
  parallelTransactions: false,
  asyncHandlers: true,
  async create() {
    const suffix = Math.random().toString(36).slice(2, 8);
    const store = createPgliteStore({ db, table: `outbox_${suffix}` });
    const inbox = createPgliteInbox({ db, table: `inbox_${suffix}` });
    const schedules = createPgliteSchedules({ db, table: `schedules_${suffix}` });
    await store.migrate();
    await inbox.migrate();
    await schedules.migrate();
    const { bump, counter } = await pgEffects(db, suffix);
    return { store, inbox, schedules, write: async (fn) => void (await store.transaction(async (tx) => fn(tx))), bump, counter };
  },
  close: () => db.close(),
});
