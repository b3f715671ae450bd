import type { MySqlDatabase } from 'drizzle-orm/mysql-core';
import type { PgDatabase } from 'drizzle-orm/pg-core';
import type { BaseSQLiteDatabase } from 'drizzle-orm/sqlite-core';
import type { TransactionRunner } from '../../consumers/dispatch.js';
import { invalidArgument } from '../../core/errors.js';
import { asyncRunner, syncRunner, type WakesRelays } from '../shared/runner.js';
import { fromDrizzle, isBetterSqlite, type DriverClient, type DrizzleMysqlTransaction, type DrizzlePgTransaction, type DrizzleSqliteTransaction } from './drizzle.js';

/** The transaction type `db.transaction(fn)` hands to `fn`: the one a handler gets as `ctx.tx.trx`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type DrizzleTransactionOf<D extends { transaction: (fn: any, ...rest: any[]) => unknown }> = Parameters<Parameters<D['transaction']>[0]>[0];

/* eslint-disable @typescript-eslint/no-explicit-any -- any Drizzle schema and result kind */
/**
 * Runs in-process consumers' handlers in Drizzle transactions on PostgreSQL (node-postgres or
 * postgres.js): `ctx.tx.trx` is the handler's Drizzle transaction, so its business rows, its
 * inbox row and what it publishes commit together.
 * `createConsumers({ ..., transaction: drizzleTransactions(db, store) })`.
 */
export function drizzleTransactions<D extends PgDatabase<any, any, any>>(db: D, store?: WakesRelays): TransactionRunner<DrizzlePgTransaction<DrizzleTransactionOf<D>>>;
/** The same on MySQL or MariaDB (mysql2). */
export function drizzleTransactions<D extends MySqlDatabase<any, any, any, any>>(db: D, store?: WakesRelays): TransactionRunner<DrizzleMysqlTransaction<DrizzleTransactionOf<D>>>;
/** The same on better-sqlite3, where Drizzle's transactions, and so the handlers, are synchronous. */
export function drizzleTransactions<D extends BaseSQLiteDatabase<'sync', any, any, any>>(db: D, store?: WakesRelays): TransactionRunner<DrizzleSqliteTransaction<DrizzleTransactionOf<D>>>;
/* eslint-enable @typescript-eslint/no-explicit-any */
export function drizzleTransactions(db: unknown, store?: WakesRelays): TransactionRunner<unknown> {
  const d = db as { transaction?: (fn: (tx: never) => unknown) => unknown; session?: { client?: DriverClient } } | null;
  if (typeof d?.transaction !== 'function' || !d.session) throw invalidArgument('db', db, 'must be a Drizzle database (drizzle(...)) for drizzleTransactions');
  const transaction = d.transaction.bind(d) as <T>(fn: (tx: never) => T) => T;
  // The mode is the driver's: better-sqlite3 runs Drizzle's transactions as synchronous calls.
  if (isBetterSqlite(d.session.client)) return syncRunner(transaction, (tx) => fromDrizzle(tx as never), store);
  return asyncRunner(transaction, (tx) => fromDrizzle(tx as never), store);
}
