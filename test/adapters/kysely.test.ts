import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { Kysely, MysqlDialect, PostgresDialect, sql, SqliteDialect, WithSchemaPlugin, type Transaction } from 'kysely';
import { createPool } from 'mysql2';
import pg from 'pg';
import { fromKysely, fromKyselyMysql, fromKyselySqlite } from '../../src/adapters/kysely/index.js';
import { createOutbox, createRelay } from '../../src/core/index.js';
import { createPostgresStore } from '../../src/stores/postgres/index.js';
import { MYSQL_URL, PG_URL, uniqueName } from '../support/env.js';
import { adapterContract } from './contract.js';
import { mysqlStores, ormTransaction, postgresStores, sqliteStores } from './databases.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyTrx = Transaction<any>;

const pgStores = postgresStores();
const pgDb: AnyDb = new Kysely({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: PG_URL, max: 3 }) }) });
adapterContract({
  name: 'Kysely on PostgreSQL (fromKysely)',
  async create() {
    const store = await pgStores.create('kysely_pg');
    return {
      store,
      transaction: (fn, commit) => ormTransaction<AnyTrx, unknown>((cb) => pgDb.transaction().execute(cb), (trx) => fn(fromKysely(trx)), commit) as never,
      notTransactions: () => [
        { what: 'the root Kysely instance', handle: () => fromKysely(pgDb as never) },
        { what: 'the pg pool under it', handle: () => pgStores.pool },
      ],
    };
  },
  async close() {
    await pgDb.destroy();
    await pgStores.close();
  },
});

const myStores = mysqlStores();
const myDb: AnyDb = new Kysely({ dialect: new MysqlDialect({ pool: createPool({ uri: MYSQL_URL, connectionLimit: 3 }) }) });
adapterContract({
  name: 'Kysely on MariaDB (fromKyselyMysql)',
  async create() {
    const store = await myStores.create('kysely_my');
    return {
      store,
      transaction: (fn, commit) => ormTransaction<AnyTrx, unknown>((cb) => myDb.transaction().execute(cb), (trx) => fn(fromKyselyMysql(trx)), commit) as never,
      notTransactions: () => [
        { what: 'the root Kysely instance', handle: () => fromKyselyMysql(myDb as never) },
        { what: 'a PostgreSQL Kysely given to the MySQL adapter', handle: () => fromKyselyMysql(pgDb as never) },
      ],
    };
  },
  async close() {
    await myDb.destroy();
    await myStores.close();
  },
});

// Kysely's SqliteDialect is asynchronous: between two awaits of a Kysely transaction, anything
// else on the same Database would join it. The store (the relay's claims) gets its own connection.
const liteStores = sqliteStores();
const liteDbs: AnyDb[] = [];
adapterContract({
  name: 'Kysely on SQLite (fromKyselySqlite)',
  async create() {
    const { db, store } = await liteStores.create('kysely_lite');
    const kdb: AnyDb = new Kysely({ dialect: new SqliteDialect({ database: new Database(db.name) }) });
    liteDbs.push(kdb);
    return {
      store,
      transaction: (fn, commit) => ormTransaction<AnyTrx, unknown>((cb) => kdb.transaction().execute(cb), (trx) => fn(fromKyselySqlite(trx)), commit) as never,
      notTransactions: () => [
        { what: 'the root Kysely instance', handle: () => fromKyselySqlite(kdb as never) },
        { what: 'a MySQL Kysely given to the SQLite adapter', handle: () => fromKyselySqlite(myDb as never) },
      ],
    };
  },
  async close() {
    for (const kdb of liteDbs) await kdb.destroy();
    await liteStores.close();
  },
});

// The example of docs/adapters/kysely.md, run as written there (names made unique per run).
describe('docs/adapters/kysely.md', () => {
  const pool = new pg.Pool({ connectionString: PG_URL, max: 3 });
  const schema = uniqueName('txbox');
  const app = uniqueName('app');
  after(async () => {
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE; DROP SCHEMA IF EXISTS "${app}" CASCADE`);
    await pool.end();
  });

  it('writes an order and its message in one Kysely transaction, migrates with Kysely, relays', async () => {
    interface DB { orders: { id: string; total: number } }
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }), plugins: [new WithSchemaPlugin(app)] });
    // txbox's tables live in a schema of their own, away from the application's tables.
    const store = createPostgresStore({ pool, schema });
    const outbox = createOutbox({ store });

    // Migrations: a Kysely migration applies txbox's DDL (idempotent), next to the app's own.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations see no schema type
    const migrations: Record<string, { up(db: Kysely<any>): Promise<unknown> }> = {
      '0001_txbox': { up: (db) => sql.raw(store.schemaSql()).execute(db) },
      '0002_orders': { up: (db) => db.schema.createTable('orders').addColumn('id', 'text', (c) => c.primaryKey()).addColumn('total', 'integer').execute() },
    };
    await db.schema.createSchema(app).execute();
    for (const m of Object.values(migrations)) await m.up(db);

    // Write: the order and its message commit together, or neither does.
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('orders').values({ id: 'o1', total: 42 }).execute();
      await outbox.send(fromKysely(trx), { topic: 'order.placed', key: 'o1', payload: { total: 42 } });
    });

    // Relay: a producer stands in for the broker.
    const delivered: string[] = [];
    const relay = createRelay({ store, producer: async (messages) => void delivered.push(...messages.map((m) => m.topic)) });
    await relay.runOnce();
    assert.deepEqual(delivered, ['order.placed']);
    // (db.destroy() would end the pool the store shares; the test's after() ends it.)
  });
});
