import pg from 'pg';
import { createPostgresInbox, createPostgresSchedules, createPostgresStore } from '../../src/stores/postgres/index.js';
import { pgEffects } from '../inbox/pg-effects.js';
import { PG_URL } from '../support/env.js';
import { consumersContract } from './contract.js';

const pool = new pg.Pool({ connectionString: PG_URL, max: 10 });
const suffixes: string[] = [];

consumersContract({
  name: 'postgres',
  parallelTransactions: true,
  asyncHandlers: true,
  async create() {
    const suffix = `${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
    suffixes.push(suffix);
    const store = createPostgresStore({ pool, table: `outbox_${suffix}` });
    const inbox = createPostgresInbox({ pool, table: `inbox_${suffix}` });
    const schedules = createPostgresSchedules({ pool, table: `schedules_${suffix}` });
    await store.migrate();
    await inbox.migrate();
    await schedules.migrate();
    const { bump, counter } = await pgEffects(pool, suffix);
    return { store, inbox, schedules, write: async (fn) => void (await store.transaction(async (tx) => fn(tx))), bump, counter };
  },
  async close() {
    for (const s of suffixes) await pool.query(`DROP TABLE IF EXISTS "inbox_${s}", "outbox_${s}", "counters_${s}", "schedules_${s}"`);
    await pool.end();
  },
});
