import type Database from 'better-sqlite3';
import { drizzle as betterSqlite } from 'drizzle-orm/better-sqlite3';
import { int, mysqlTable, varchar } from 'drizzle-orm/mysql-core';
import { drizzle as mysql2 } from 'drizzle-orm/mysql2';
import { drizzle as nodePostgres } from 'drizzle-orm/node-postgres';
import { integer, pgSchema, text } from 'drizzle-orm/pg-core';
import { drizzle as postgresJs } from 'drizzle-orm/postgres-js';
import { integer as sqliteInteger, sqliteTable, text as sqliteText } from 'drizzle-orm/sqlite-core';
import { createPool } from 'mysql2/promise';
import type pg from 'pg';
import postgres from 'postgres';
import { drizzleTransactions, fromDrizzle, type DrizzleMysqlTransaction, type DrizzlePgTransaction, type DrizzleSqliteTransaction, type DrizzleTransactionOf } from '../../src/adapters/drizzle/index.js';
import { PG_URL } from '../support/env.js';
import { mysqlConsumerDatabases, pgConsumerDatabases, sqliteConsumerDatabases } from './consumer-databases.js';
import { adapterConsumersContract } from './consumers-contract.js';

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
const sqliteDb = (db: Database.Database) => betterSqlite({ client: db });
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
