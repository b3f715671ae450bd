import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { drizzle as betterSqlite } from 'drizzle-orm/better-sqlite3';
import { int, mysqlTable, varchar } from 'drizzle-orm/mysql-core';
import { drizzle as mysql2 } from 'drizzle-orm/mysql2';
import { drizzle as nodePostgres } from 'drizzle-orm/node-postgres';
import { integer, pgSchema, text } from 'drizzle-orm/pg-core';
import { drizzle as postgresJs } from 'drizzle-orm/postgres-js';
import { integer as sqliteInteger, sqliteTable, text as sqliteText } from 'drizzle-orm/sqlite-core';
import { createPool } from 'mysql2/promise';
import pgDriver from 'pg';
import type pg from 'pg';
import postgres from 'postgres';
import { drizzleTransactions, fromDrizzle, type DrizzleMysqlTransaction, type DrizzlePgTransaction, type DrizzleSqliteTransaction, type DrizzleTransactionOf } from '../../src/adapters/drizzle/index.js';
import { createConsumers, defineConsumer } from '../../src/consumers/index.js';
import { createPostgresInbox, createPostgresStore } from '../../src/stores/postgres/index.js';
import { createSqliteInbox, createSqliteStore } from '../../src/stores/sqlite/index.js';
import { eventually, PG_URL, uniqueName } from '../support/env.js';
import { mysqlConsumerDatabases, pgConsumerDatabases, sqliteConsumerDatabases } from './consumer-databases.js';
import { adapterConsumersContract } from './consumers-contract.js';
import { assertSectionTested } from './doc-snippets.js';

const shipmentsIn = (schema: string) => pgSchema(schema).table('shipments', { order_id: text('order_id').primaryKey(), attempt: integer('attempt').notNull() });
const nodePgDb = (pool: pg.Pool) => nodePostgres(pool);
const postgresJsDb = (sql: postgres.Sql) => postgresJs(sql);

const pgDbs = pgConsumerDatabases();
adapterConsumersContract<DrizzlePgTransaction<DrizzleTransactionOf<ReturnType<typeof nodePgDb>>>>({
  name: 'Drizzle transactions on PostgreSQL, node-postgres (drizzleTransactions)',
  async create() {
    const d = await pgDbs.create();
    const db = nodePgDb(pgDbs.pool);
    const shipments = shipmentsIn(d.schema);
    return {
      ...d,
      transaction: drizzleTransactions(db, d.store),
      publish: (bus, input) => db.transaction((tx) => bus.publish(fromDrizzle(tx), input)),
      // The handler's transaction is Drizzle's: its typed query builder.
      ship: async (tx, orderId, attempt) => void (await tx.trx.insert(shipments).values({ order_id: orderId, attempt })),
    };
  },
  close: () => pgDbs.close(),
});

const jsDbs = pgConsumerDatabases();
const sqls: postgres.Sql[] = [];
adapterConsumersContract<DrizzlePgTransaction<DrizzleTransactionOf<ReturnType<typeof postgresJsDb>>>>({
  name: 'Drizzle transactions on PostgreSQL, postgres.js (drizzleTransactions)',
  async create() {
    const d = await jsDbs.create();
    const sql = postgres(PG_URL, { max: 2, onnotice: () => {} });
    sqls.push(sql);
    const db = postgresJsDb(sql);
    const shipments = shipmentsIn(d.schema);
    return {
      ...d,
      transaction: drizzleTransactions(db, d.store),
      publish: (bus, input) => db.transaction((tx) => bus.publish(fromDrizzle(tx), input)),
      ship: async (tx, orderId, attempt) => void (await tx.trx.insert(shipments).values({ order_id: orderId, attempt })),
    };
  },
  async close() {
    for (const sql of sqls) await sql.end();
    await jsDbs.close();
  },
});

const myShipments = mysqlTable('shipments', { order_id: varchar('order_id', { length: 100 }).primaryKey(), attempt: int('attempt').notNull() });
const mysqlDb = (pool: ReturnType<typeof createPool>) => mysql2(pool);
const myDbs = mysqlConsumerDatabases();
const myPools: ReturnType<typeof createPool>[] = [];
adapterConsumersContract<DrizzleMysqlTransaction<DrizzleTransactionOf<ReturnType<typeof mysqlDb>>>>({
  name: 'Drizzle transactions on MariaDB, mysql2 (drizzleTransactions)',
  async create() {
    const d = await myDbs.create();
    const pool = createPool({ uri: d.url, connectionLimit: 2 });
    myPools.push(pool);
    const db = mysqlDb(pool);
    return {
      ...d,
      transaction: drizzleTransactions(db, d.store),
      publish: (bus, input) => db.transaction((tx) => bus.publish(fromDrizzle(tx), input)),
      ship: async (tx, orderId, attempt) => void (await tx.trx.insert(myShipments).values({ order_id: orderId, attempt })),
    };
  },
  async close() {
    for (const pool of myPools) await pool.end();
    await myDbs.close();
  },
});

// better-sqlite3: Drizzle's transactions are synchronous, on the store's own Database, and so
// are the handlers (they must not await).
const liteShipments = sqliteTable('shipments', { order_id: sqliteText('order_id').primaryKey(), attempt: sqliteInteger('attempt').notNull() });
const sqliteDb = (db: Database) => betterSqlite({ client: db });
const liteDbs = sqliteConsumerDatabases();
adapterConsumersContract<DrizzleSqliteTransaction<DrizzleTransactionOf<ReturnType<typeof sqliteDb>>>>({
  name: 'Drizzle transactions on better-sqlite3 (drizzleTransactions, synchronous)',
  sync: true,
  async create() {
    const d = await liteDbs.create();
    const db = sqliteDb(d.db);
    return {
      ...d,
      transaction: drizzleTransactions(db, d.store),
      publish: async (bus, input) => db.transaction((tx) => bus.publishSync(fromDrizzle(tx), input)),
      ship: (tx, orderId, attempt) => void tx.trx.insert(liteShipments).values({ order_id: orderId, attempt }).run(),
    };
  },
  close: () => liteDbs.close(),
});

// The examples of docs/adapters/drizzle.md (In-process consumers), run as written there.
describe('docs/adapters/drizzle.md: in-process consumers', () => {
  const pool = new pgDriver.Pool({ connectionString: PG_URL, max: 3 });
  const schema = uniqueName('app');
  const dir = mkdtempSync(join(tmpdir(), 'txbox-drizzle-docs-'));
  after(async () => {
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
    rmSync(dir, { recursive: true, force: true });
  });

  it("writes a handler's rows in its Drizzle transaction on PostgreSQL, with its inbox row", async () => {
    await pool.query(`CREATE SCHEMA "${schema}"; CREATE TABLE "${schema}".shipments (order_id text PRIMARY KEY, attempt int NOT NULL)`);
    const shipments = pgSchema(schema).table('shipments', { order_id: text('order_id').primaryKey(), attempt: integer('attempt').notNull() });
    const db = nodePostgres(pool);
    const store = createPostgresStore({ pool, schema });
    const inbox = createPostgresInbox({ pool, schema });
    for (const part of [store, inbox]) await part.migrate();

    const ship = defineConsumer<DrizzlePgTransaction<DrizzleTransactionOf<typeof db>>, { orderId: string }>({
      name: 'ship',
      topics: ['order.placed'],
      handle: async ({ tx, payload, attempt }) => {
        // tx.trx is the handler's Drizzle transaction: this row commits with the inbox row, or neither does.
        await tx.trx.insert(shipments).values({ order_id: payload.orderId, attempt });
      },
    });
    const bus = createConsumers({ store, inbox, consumers: [ship], transaction: drizzleTransactions(db, store) });
    bus.start();

    // Publish in a Drizzle transaction of your own, with the order it announces.
    await db.transaction((tx) => bus.publish(fromDrizzle(tx), { topic: 'order.placed', payload: { orderId: 'o-1' } }));
    bus.relay.nudge(); // handle it now, not at the next poll

    await eventually(async () => (await pool.query(`SELECT 1 FROM "${schema}".shipments`)).rows.length === 1, 5000, 'the shipment');
    await bus.stop();
  });

  it('runs synchronous handlers in Drizzle transactions on better-sqlite3', async () => {
    const file = join(dir, 'app.db');
    const sqlite = new BetterSqlite3(file);
    sqlite.exec('CREATE TABLE shipments (order_id TEXT PRIMARY KEY, attempt INTEGER NOT NULL)');
    const shipments = sqliteTable('shipments', { order_id: sqliteText('order_id').primaryKey(), attempt: sqliteInteger('attempt').notNull() });
    const db = betterSqlite(sqlite);
    const store = createSqliteStore({ db: sqlite });
    const inbox = createSqliteInbox({ db: sqlite });
    for (const part of [store, inbox]) await part.migrate();

    const ship = defineConsumer<DrizzleSqliteTransaction<DrizzleTransactionOf<typeof db>>, { orderId: string }>({
      name: 'ship',
      topics: ['order.placed'],
      // Synchronous: the whole transaction is one better-sqlite3 call, and nothing can run inside it.
      handle: ({ tx, payload, attempt }) => void tx.trx.insert(shipments).values({ order_id: payload.orderId, attempt }).run(),
    });
    const bus = createConsumers({ store, inbox, consumers: [ship], transaction: drizzleTransactions(db, store) });
    db.transaction((tx) => bus.publishSync(fromDrizzle(tx), { topic: 'order.placed', payload: { orderId: 'o-1' } }));
    await bus.runOnce();

    assert.deepEqual(sqlite.prepare('SELECT order_id, attempt FROM shipments').all(), [{ order_id: 'o-1', attempt: 1 }]);
    sqlite.close();
    assertSectionTested(new URL('../../docs/adapters/drizzle.md', import.meta.url), 'In-process consumers', new URL(import.meta.url));
  });
});
