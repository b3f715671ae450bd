import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { createConsumers, defineConsumer } from '../../src/consumers/index.js';
import { createPostgresInbox, createPostgresSchedules, createPostgresStore } from '../../src/stores/postgres/index.js';
import { pgEffects } from '../inbox/pg-effects.js';
import { PG_URL, sleep } from '../support/env.js';
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

describe('postgres schedules in a schema of their own', () => {
  const own = new pg.Pool({ connectionString: PG_URL, max: 4 });
  const suffix = `${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const schema = `sched_${suffix}`;
  after(async () => {
    await own.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await own.query(`DROP TABLE IF EXISTS "outbox_${suffix}", "inbox_${suffix}"`);
    await own.end();
  });

  it('creates, reads and fires schedules in the given schema, and refuses a bad schema name', async () => {
    assert.throws(() => createPostgresSchedules({ pool: own, schema: 'no-dashes' }), { code: 'INVALID_OPTION', field: 'schema', value: 'no-dashes' });
    const store = createPostgresStore({ pool: own, table: `outbox_${suffix}` });
    const inbox = createPostgresInbox({ pool: own, table: `inbox_${suffix}` });
    const schedules = createPostgresSchedules({ pool: own, schema, table: 'cron' });
    assert.match(schedules.schemaSql(), new RegExp(`CREATE SCHEMA IF NOT EXISTS "${schema}";[\\s\\S]*"${schema}"\\."cron"`));
    for (const part of [store, inbox, schedules]) await part.migrate();
    await schedules.migrate(); // twice: idempotent
    const bus = createConsumers({ store, inbox, schedules, consumers: [defineConsumer({ name: 'beat', topics: ['beat'], handle: () => {} })] });
    await bus.schedules.set({ name: 'every-second', cron: '* * * * * *', topic: 'beat' });
    const { rows } = await own.query('SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2', [schema, 'cron']);
    assert.equal(rows.length, 1, 'the table is in the schema');
    assert.equal((await own.query(`SELECT count(*)::int AS n FROM "${schema}"."cron"`)).rows[0].n, 1);
    assert.deepEqual((await bus.schedules.list()).map((s) => s.name), ['every-second']);
    await sleep(1000 - (Date.now() % 1000) + 30);
    assert.equal(await bus.schedules.fireDue(), 1);
    assert.equal((await own.query(`SELECT count(*)::int AS n FROM "outbox_${suffix}"`)).rows[0].n, 1, 'the tick was published');
  });
});
