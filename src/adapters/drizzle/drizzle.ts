import type { MySqlTransaction } from 'drizzle-orm/mysql-core';
import type { PgTransaction } from 'drizzle-orm/pg-core';
import type { SQLiteTransaction } from 'drizzle-orm/sqlite-core';
import { invalidArgument } from '../../core/errors.js';
import type { MysqlTransactionQuery } from '../../stores/mysql/driver.js';
import type { PgTransactionQuery } from '../../stores/postgres/driver.js';
import type { SqliteDatabaseLike } from '../../stores/sqlite/driver.js';
import { fromPostgresJs, type PostgresJsTransaction } from '../postgresjs/postgresjs.js';

/** What the driver client under a Drizzle session looks like, by driver. */
interface DriverClient {
  query?: (...args: unknown[]) => unknown;
  unsafe?: unknown;
  savepoint?: unknown;
  prepare?: unknown;
  inTransaction?: boolean;
  execute?: unknown;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- any Drizzle schema and result kind */
/** A Drizzle transaction on PostgreSQL, over node-postgres (`drizzle-orm/node-postgres`) or postgres.js (`drizzle-orm/postgres-js`). */
export function fromDrizzle(tx: PgTransaction<any, any, any>): PgTransactionQuery;
/** A Drizzle transaction on MySQL or MariaDB over mysql2 (`drizzle-orm/mysql2`). */
export function fromDrizzle(tx: MySqlTransaction<any, any, any, any>): MysqlTransactionQuery;
/** A Drizzle transaction on better-sqlite3 (`drizzle-orm/better-sqlite3`): synchronous, so use `sendSync`. */
export function fromDrizzle(tx: SQLiteTransaction<'sync', any, any, any>): SqliteDatabaseLike;
/* eslint-enable @typescript-eslint/no-explicit-any */
/**
 * Drizzle's transaction into the write seam, by the driver client its session holds. Refuses,
 * before anything is written, the root `db` (no `rollback`: each statement commits on its own)
 * and drivers txbox has no store for.
 */
export function fromDrizzle(tx: unknown): PgTransactionQuery | MysqlTransactionQuery | SqliteDatabaseLike {
  const t = tx as { rollback?: unknown; select?: unknown; session?: { client?: DriverClient } } | null;
  if (typeof t?.select !== 'function' || !t.session) {
    throw invalidArgument('tx', tx, 'must be a Drizzle transaction (db.transaction(async (tx) => ...)), not something else');
  }
  if (typeof t.rollback !== 'function') {
    throw invalidArgument('tx', tx, 'must be a Drizzle transaction (db.transaction(async (tx) => ...)); this is the root db, on which each statement commits on its own');
  }
  const client = t.session.client;
  // better-sqlite3: Drizzle runs its transaction natively, so the Database itself is the handle.
  if (typeof client?.prepare === 'function' && typeof client.inTransaction === 'boolean') return client as unknown as SqliteDatabaseLike;
  if (typeof client?.unsafe === 'function') return fromPostgresJs(client as unknown as PostgresJsTransaction);
  if (typeof client?.query === 'function') {
    // mysql2 connections have `execute`; node-postgres clients have not.
    if (typeof client.execute === 'function') return { inTransaction: true, query: (sql, values) => client.query!(sql, values) } as MysqlTransactionQuery;
    return { inTransaction: true, query: (text, values) => client.query!(text, values) } as PgTransactionQuery;
  }
  throw invalidArgument('tx', tx, 'is a Drizzle transaction on a driver txbox/drizzle does not know (it supports node-postgres, postgres.js, mysql2 and better-sqlite3)');
}
