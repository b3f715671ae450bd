import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { sql as drizzleSql } from 'drizzle-orm';
import { drizzle as betterSqlite } from 'drizzle-orm/better-sqlite3';
import { drizzle as mysql2 } from 'drizzle-orm/mysql2';
import { drizzle as nodePostgres } from 'drizzle-orm/node-postgres';
import { integer, pgSchema, text } from 'drizzle-orm/pg-core';
import { drizzle as postgresJs } from 'drizzle-orm/postgres-js';
import { createPool } from 'mysql2/promise';
import pg from 'pg';
import postgres from 'postgres';
import { fromDrizzle } from '../../src/adapters/drizzle/index.js';
import { createOutbox, createRelay } from '../../src/core/index.js';
import { createPostgresStore } from '../../src/stores/postgres/index.js';
import { MYSQL_URL, PG_URL, uniqueName } from '../support/env.js';
import { adapterContract } from './contract.js';
import { mysqlStores, ormTransaction, postgresStores, sqliteStores } from './databases.js';

// The tests hand Drizzle's transactions to the adapter as they come; their schema types do not matter.
type Tx<D extends { transaction: (...args: never[]) => unknown }> = Parameters<Parameters<D['transaction']>[0]>[0];

const pgStores = postgresStores();
const nodePg = nodePostgres(new pg.Pool({ connectionString: PG_URL, max: 3 }));
adapterContract({
  name: 'Drizzle on PostgreSQL, node-postgres driver (fromDrizzle)',
  async create() {
    const store = await pgStores.create('drizzle_pg');
    return {
      store,
      transaction: (fn, commit) => ormTransaction<Tx<typeof nodePg>, unknown>((cb) => nodePg.transaction(cb), (tx) => fn(fromDrizzle(tx)), commit) as never,
      notTransactions: () => [{ what: 'the root drizzle db', handle: () => fromDrizzle(nodePg as never) }],
    };
  },
  async close() {
    await nodePg.$client.end();
    await pgStores.close();
  },
});

const pgJsStores = postgresStores();
const pgJs = postgresJs(postgres(PG_URL, { max: 3, onnotice: () => {} }));
adapterContract({
  name: 'Drizzle on PostgreSQL, postgres.js driver (fromDrizzle)',
  async create() {
    const store = await pgJsStores.create('drizzle_pgjs');
    return {
      store,
      transaction: (fn, commit) => ormTransaction<Tx<typeof pgJs>, unknown>((cb) => pgJs.transaction(cb), (tx) => fn(fromDrizzle(tx)), commit) as never,
      notTransactions: () => [{ what: 'the root drizzle db', handle: () => fromDrizzle(pgJs as never) }],
    };
  },
  async close() {
    await pgJs.$client.end();
    await pgJsStores.close();
  },
});

const myStores = mysqlStores();
const my = mysql2(createPool({ uri: MYSQL_URL, connectionLimit: 3 }));
adapterContract({
  name: 'Drizzle on MariaDB, mysql2 driver (fromDrizzle)',
  async create() {
    const store = await myStores.create('drizzle_my');
    return {
      store,
      transaction: (fn, commit) => ormTransaction<Tx<typeof my>, unknown>((cb) => my.transaction(cb), (tx) => fn(fromDrizzle(tx)), commit) as never,
      notTransactions: () => [{ what: 'the root drizzle db', handle: () => fromDrizzle(my as never) }],
    };
  },
  async close() {
    await my.$client.end();
    await myStores.close();
  },
});

// Drizzle runs better-sqlite3 transactions natively and synchronously: sendSync inside them.
const liteStores = sqliteStores();
class Rollback extends Error {}
adapterContract({
  name: 'Drizzle on SQLite, better-sqlite3 driver (fromDrizzle, sendSync)',
  sync: true,
  async create() {
    const { db, store } = await liteStores.create('drizzle_lite');
    const lite = betterSqlite(db);
    return {
      store,
      async transaction(fn, commit) {
        let result: unknown;
        try {
          lite.transaction((tx) => {
            result = fn(fromDrizzle(tx));
            if (!commit) throw new Rollback();
          });
        } catch (error) {
          if (!(error instanceof Rollback)) throw error;
        }
        return result as never;
      },
      notTransactions: () => [{ what: 'the root drizzle db', handle: () => fromDrizzle(lite as never) }],
    };
  },
  close: () => liteStores.close(),
});

// The example of docs/adapters/drizzle.md, run as written there (names made unique per run).
describe('docs/adapters/drizzle.md', () => {
  const pool = new pg.Pool({ connectionString: PG_URL, max: 3 });
  const schema = uniqueName('txbox');
  const app = uniqueName('app');
  after(async () => {
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE; DROP SCHEMA IF EXISTS "${app}" CASCADE`);
    await pool.end();
  });

  it('writes an order and its message in one Drizzle transaction, migrates txbox in its own schema, relays', async () => {
    const appSchema = pgSchema(app);
    const orders = appSchema.table('orders', { id: text('id').primaryKey(), total: integer('total') });
    const db = nodePostgres(pool);
    // txbox's tables live in a schema drizzle-kit does not manage (schemaFilter), so it never diffs or drops them.
    const store = createPostgresStore({ pool, schema });
    const outbox = createOutbox({ store });

    // Migrations: txbox's DDL in a custom migration (drizzle-kit generate --custom), or store.migrate() at start-up.
    await db.execute(drizzleSql.raw(store.schemaSql()));
    await db.execute(drizzleSql.raw(`CREATE SCHEMA "${app}"; CREATE TABLE "${app}".orders (id text PRIMARY KEY, total integer)`));

    // Write: the order and its message commit together, or neither does.
    await db.transaction(async (tx) => {
      await tx.insert(orders).values({ id: 'o1', total: 42 });
      await outbox.send(fromDrizzle(tx), { topic: 'order.placed', key: 'o1', payload: { total: 42 } });
    });

    // Relay: a producer stands in for the broker.
    const delivered: string[] = [];
    const relay = createRelay({ store, producer: async (messages) => void delivered.push(...messages.map((m) => m.topic)) });
    await relay.runOnce();
    assert.deepEqual(delivered, ['order.placed']);
  });
});
