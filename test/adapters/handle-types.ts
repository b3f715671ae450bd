// Compiled by `tsc --noEmit` (npm test), never run: the types accept every stack's transaction
// handle with no cast, and refuse a pool or a root instance. Each @ts-expect-error fails the
// type check if that refusal ever goes away.
import type { Knex } from 'knex';
import type { Kysely, Transaction } from 'kysely';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import type { MySql2Database } from 'drizzle-orm/mysql2';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import type { Pool as MysqlPool, PoolConnection as MysqlConnection } from 'mysql2/promise';
import type Database from 'better-sqlite3';
import type pg from 'pg';
import type postgres from 'postgres';
import { createOutbox } from '../../src/core/index.js';
import { fromDrizzle } from '../../src/adapters/drizzle/index.js';
import { fromKnex, fromKnexMysql } from '../../src/adapters/knex/index.js';
import { fromKysely, fromKyselyMysql, fromKyselySqlite } from '../../src/adapters/kysely/index.js';
import { createPostgresJsStore, fromPostgresJs } from '../../src/stores/postgresjs/index.js';
import { createMysqlStore } from '../../src/stores/mysql/index.js';
import { createPostgresStore } from '../../src/stores/postgres/index.js';
import { createSqliteStore } from '../../src/stores/sqlite/index.js';

const m = { topic: 't', payload: 1 };

export async function postgresHandles(pool: pg.Pool, client: pg.PoolClient, db: Kysely<{ t: { id: number } }>, trx: Transaction<{ t: { id: number } }>, k: Knex, ktrx: Knex.Transaction, sql: postgres.Sql, ptx: postgres.TransactionSql, d: NodePgDatabase) {
  const outbox = createOutbox({ store: createPostgresStore({ pool }) });
  await outbox.send(client, m);
  await outbox.send(fromKysely(trx), m);
  await outbox.send(fromKnex(ktrx), m);
  await outbox.send(fromPostgresJs(ptx), m);
  await d.transaction((tx) => outbox.send(fromDrizzle(tx), m));
  // @ts-expect-error a pool commits each statement on its own
  await outbox.send(pool, m);
  // @ts-expect-error the root Kysely instance is no transaction
  fromKysely(db);
  // @ts-expect-error the root knex instance is no transaction
  fromKnex(k);
  // @ts-expect-error the root postgres.js sql is no transaction
  fromPostgresJs(sql);
  // @ts-expect-error the root drizzle db is no transaction
  fromDrizzle(d);
  const jsOutbox = createOutbox({ store: createPostgresJsStore({ sql }) });
  await jsOutbox.send(ptx, m);
  // @ts-expect-error the root postgres.js sql is no transaction
  await jsOutbox.send(sql, m);
}

export async function mysqlHandles(pool: MysqlPool, conn: MysqlConnection, trx: Transaction<object>, ktrx: Knex.Transaction, d: MySql2Database) {
  const outbox = createOutbox({ store: createMysqlStore({ pool }) });
  await outbox.send(conn, m);
  await outbox.send(fromKyselyMysql(trx), m);
  await outbox.send(fromKnexMysql(ktrx), m);
  await d.transaction((tx) => outbox.send(fromDrizzle(tx), m));
  // @ts-expect-error a pool commits each statement on its own
  await outbox.send(pool, m);
}

export async function sqliteHandles(db: Database.Database, d: BetterSQLite3Database, trx: Transaction<object>) {
  const outbox = createOutbox({ store: createSqliteStore({ db }) });
  d.transaction((tx) => outbox.sendSync(fromDrizzle(tx), m));
  await outbox.send(fromKyselySqlite(trx), m);
}
