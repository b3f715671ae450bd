import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import knex, { type Knex } from 'knex';
import pg from 'pg';
import { publishDebounced } from '../../src/consumers/debounce.js';
import { createOutbox, createRelay } from '../../src/core/index.js';
import { fromKnex, fromKnexMysql } from '../../src/adapters/knex/index.js';
import { createPostgresStore, type PgTransactionQuery } from '../../src/stores/postgres/index.js';
import { MYSQL_URL, PG_URL, uniqueName } from '../support/env.js';
import { adapterContract } from './contract.js';
import { mysqlStores, ormTransaction, postgresStores } from './databases.js';

const pgStores = postgresStores();
const pgKnex = knex({ client: 'pg', connection: PG_URL, pool: { min: 0, max: 3 } });
adapterContract({
  name: 'Knex on PostgreSQL (fromKnex)',
  async create() {
    const store = await pgStores.create('knex_pg');
    return {
      store,
      transaction: (fn, commit) => ormTransaction<Knex.Transaction, unknown>((cb) => pgKnex.transaction(cb), (trx) => fn(fromKnex(trx)), commit) as never,
      notTransactions: () => [{ what: 'the root knex instance', handle: () => fromKnex(pgKnex as unknown as Knex.Transaction) }],
    };
  },
  async close() {
    await pgKnex.destroy();
    await pgStores.close();
  },
});

const myStores = mysqlStores();
const myKnex = knex({ client: 'mysql2', connection: MYSQL_URL, pool: { min: 0, max: 3 } });
adapterContract({
  name: 'Knex on MariaDB (fromKnexMysql)',
  async create() {
    const store = await myStores.create('knex_my');
    return {
      store,
      transaction: (fn, commit) => ormTransaction<Knex.Transaction, unknown>((cb) => myKnex.transaction(cb), (trx) => fn(fromKnexMysql(trx)), commit) as never,
      notTransactions: () => [
        { what: 'the root knex instance', handle: () => fromKnexMysql(myKnex as unknown as Knex.Transaction) },
        { what: 'a PostgreSQL knex given to the MySQL adapter', handle: () => fromKnexMysql(pgKnex as unknown as Knex.Transaction) },
      ],
    };
  },
  async close() {
    await myKnex.destroy();
    await myStores.close();
  },
});

// Why txbox owns the glue: what a user would write by hand looks right and is wrong.
describe('hand-written Knex glue (what fromKnex replaces)', () => {
  const stores = postgresStores();
  const db = knex({ client: 'pg', connection: PG_URL, pool: { min: 0, max: 2 } });
  after(async () => {
    await db.destroy();
    await stores.close();
  });
  const debounceThrough = async (glue: (trx: Knex.Transaction) => PgTransactionQuery) => {
    const store = await stores.create('knex_naive');
    const send = (n: number) => db.transaction((trx) => publishDebounced(store, glue(trx), { topic: 't', payload: n, dedupKey: 'doc', delayMs: 100 }));
    await send(1);
    await send(2);
  };

  it('passing the SQL straight to trx.raw fails at the first send: Knex wants ? bindings', async () => {
    await assert.rejects(debounceThrough((trx) => ({ inTransaction: true, query: (t, v) => trx.raw(t, v as Knex.RawBinding[]) })), /Expected \d+ bindings, saw 0/);
  });

  it('turning every $n into ? in order fails debounce with 22P02: its UPDATE uses $2..$7 before $1', async () => {
    const naive = (trx: Knex.Transaction): PgTransactionQuery => ({ inTransaction: true, query: (t, v) => trx.raw(t.replace(/\$\d+/g, '?'), v as Knex.RawBinding[]) });
    await assert.rejects(debounceThrough(naive), (e: { code?: string }) => e.code === '22P02');
  });

  it('fromKnex debounces where both fail', async () => {
    await debounceThrough(fromKnex);
  });
});

// The example of docs/adapters/knex.md, run as written there (names made unique per run).
describe('docs/adapters/knex.md', () => {
  const pool = new pg.Pool({ connectionString: PG_URL, max: 2 });
  const schema = uniqueName('txbox');
  const app = uniqueName('app');
  const db = knex({ client: 'pg', connection: PG_URL, searchPath: [app], pool: { min: 0, max: 2 } });
  after(async () => {
    await db.destroy();
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE; DROP SCHEMA IF EXISTS "${app}" CASCADE`);
    await pool.end();
  });

  it('writes an order and its message in one Knex transaction, migrates with Knex, relays', async () => {
    const store = createPostgresStore({ pool, schema });
    const outbox = createOutbox({ store });

    // Migrations: a Knex migration applies txbox's DDL (idempotent), next to the app's own.
    const migrations: Record<string, { up(knex: Knex): Promise<unknown> }> = {
      '0001_txbox': { up: (knex) => knex.raw(store.schemaSql()) },
      '0002_orders': { up: (knex) => knex.schema.createTable('orders', (t) => (t.text('id').primary(), t.integer('total'))) },
    };
    await db.raw(`CREATE SCHEMA "${app}"`);
    for (const m of Object.values(migrations)) await m.up(db);

    // Write: the order and its message commit together, or neither does.
    await db.transaction(async (trx) => {
      await trx('orders').insert({ id: 'o1', total: 42 });
      await outbox.send(fromKnex(trx), { topic: 'order.placed', key: 'o1', payload: { total: 42 } });
    });

    // Relay: a producer stands in for the broker.
    const delivered: string[] = [];
    const relay = createRelay({ store, producer: async (messages) => void delivered.push(...messages.map((m) => m.topic)) });
    await relay.runOnce();
    assert.deepEqual(delivered, ['order.placed']);
  });
});
