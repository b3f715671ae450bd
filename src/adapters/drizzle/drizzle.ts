import type { MySqlTransaction } from 'drizzle-orm/mysql-core';
import type { PgTransaction } from 'drizzle-orm/pg-core';
import type { SQLiteTransaction } from 'drizzle-orm/sqlite-core';
import { invalidArgument } from '../../core/errors.js';
import type { MysqlTransactionQuery } from '../../stores/mysql/driver.js';
import type { PgTransactionQuery } from '../../stores/postgres/driver.js';
import type { SqliteDatabaseLike, SqliteStatementLike } from '../../stores/sqlite/driver.js';
import { fromPostgresJs, type PostgresJsTransaction } from '../postgresjs/postgresjs.js';

/** What the driver client under a Drizzle session looks like, by driver. */
export interface DriverClient {
  query?: (...args: unknown[]) => unknown;
  unsafe?: unknown;
  savepoint?: unknown;
  prepare?: unknown;
  inTransaction?: boolean;
  execute?: unknown;
}

/** The handle `send()` takes on PostgreSQL, with the Drizzle transaction it came from (for a handler's own writes). */
export interface DrizzlePgTransaction<T> extends PgTransactionQuery {
  readonly trx: T;
}

/** The handle `send()` takes on MySQL or MariaDB, with the Drizzle transaction it came from. */
export interface DrizzleMysqlTransaction<T> extends MysqlTransactionQuery {
  readonly trx: T;
}

/** The handle `sendSync()` takes on better-sqlite3 (its Database, seen through), with the Drizzle transaction it came from. */
export interface DrizzleSqliteTransaction<T> extends SqliteDatabaseLike {
  readonly trx: T;
}

/** better-sqlite3: Drizzle runs its transactions natively on the Database, synchronously. */
export function isBetterSqlite(client: DriverClient | undefined): client is DriverClient & SqliteDatabaseLike {
  return typeof client?.prepare === 'function' && typeof client.inTransaction === 'boolean';
}

/* eslint-disable @typescript-eslint/no-explicit-any -- any Drizzle schema and result kind */
/** A Drizzle transaction on PostgreSQL, over node-postgres (`drizzle-orm/node-postgres`) or postgres.js (`drizzle-orm/postgres-js`). */
export function fromDrizzle<T extends PgTransaction<any, any, any>>(tx: T): DrizzlePgTransaction<T>;
/** A Drizzle transaction on MySQL or MariaDB over mysql2 (`drizzle-orm/mysql2`). */
export function fromDrizzle<T extends MySqlTransaction<any, any, any, any>>(tx: T): DrizzleMysqlTransaction<T>;
/** A Drizzle transaction on better-sqlite3 (`drizzle-orm/better-sqlite3`): synchronous, so use `sendSync`. */
export function fromDrizzle<T extends SQLiteTransaction<'sync', any, any, any>>(tx: T): DrizzleSqliteTransaction<T>;
/* eslint-enable @typescript-eslint/no-explicit-any */
/**
 * Drizzle's transaction into the write seam, by the driver client its session holds. Refuses,
 * before anything is written, the root `db` (no `rollback`: each statement commits on its own)
 * and drivers txbox has no store for.
 */
export function fromDrizzle(tx: unknown): DrizzlePgTransaction<unknown> | DrizzleMysqlTransaction<unknown> | DrizzleSqliteTransaction<unknown> {
  const t = tx as { rollback?: unknown; select?: unknown; session?: { client?: DriverClient } } | null;
  if (typeof t?.select !== 'function' || !t.session) {
    throw invalidArgument('tx', tx, 'must be a Drizzle transaction (db.transaction(async (tx) => ...)), not something else');
  }
  if (typeof t.rollback !== 'function') {
    throw invalidArgument('tx', tx, 'must be a Drizzle transaction (db.transaction(async (tx) => ...)); this is the root db, on which each statement commits on its own');
  }
  const client = t.session.client;
  if (isBetterSqlite(client)) return sqliteFront(client, tx);
  if (typeof client?.unsafe === 'function') return { ...fromPostgresJs(client as unknown as PostgresJsTransaction), trx: tx };
  if (typeof client?.query === 'function') {
    // mysql2 connections have `execute`; node-postgres clients have not.
    if (typeof client.execute === 'function') return { inTransaction: true, trx: tx, query: (sql, values) => client.query!(sql, values) } as DrizzleMysqlTransaction<unknown>;
    return { inTransaction: true, trx: tx, query: (text, values) => client.query!(text, values) } as DrizzlePgTransaction<unknown>;
  }
  throw invalidArgument('tx', tx, 'is a Drizzle transaction on a driver txbox/drizzle does not know (it supports node-postgres, postgres.js, mysql2 and better-sqlite3)');
}

/** Prepared statements per Database: a handle is made per transaction, its statements are not. */
const prepared = new WeakMap<SqliteDatabaseLike, Map<string, SqliteStatementLike>>();

/** The Database under Drizzle's transaction, seen through a handle that also carries `trx`. */
function sqliteFront<T>(db: SqliteDatabaseLike, trx: T): DrizzleSqliteTransaction<T> {
  let statements = prepared.get(db);
  if (!statements) prepared.set(db, (statements = new Map()));
  const cache = statements;
  return {
    trx,
    prepare(sql) {
      let stmt = cache.get(sql);
      if (!stmt) cache.set(sql, (stmt = db.prepare(sql)));
      return stmt;
    },
    exec: (sql) => db.exec(sql),
    transaction: (fn) => db.transaction(fn),
    get inTransaction() {
      return db.inTransaction;
    },
  };
}
