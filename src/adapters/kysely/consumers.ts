import type { Kysely, Transaction } from 'kysely';
import type { TransactionRunner } from '../../consumers/dispatch.js';
import { invalidArgument } from '../../core/errors.js';
import { asyncRunner, type WakesRelays } from '../shared/runner.js';
import { dialectOf, fromKysely, fromKyselyMysql, type Dialect, type KyselyMysqlTransaction, type KyselyPgTransaction } from './kysely.js';

/**
 * Runs in-process consumers' handlers in Kysely transactions on PostgreSQL: `ctx.tx.trx` is the
 * handler's `Transaction<DB>`, so its business rows, its inbox row and what it publishes commit
 * together. `createConsumers({ ..., transaction: kyselyTransactions(db, store) })`.
 */
export function kyselyTransactions<DB>(db: Kysely<DB>, store?: WakesRelays): TransactionRunner<KyselyPgTransaction<DB>> {
  checkDialect(db, 'PostgreSQL', 'kyselyTransactions');
  return asyncRunner((fn) => db.transaction().execute(fn), (trx: Transaction<DB>) => fromKysely(trx), store);
}

/** The same on MySQL or MariaDB (MysqlDialect). */
export function kyselyMysqlTransactions<DB>(db: Kysely<DB>, store?: WakesRelays): TransactionRunner<KyselyMysqlTransaction<DB>> {
  checkDialect(db, 'MySQL', 'kyselyMysqlTransactions');
  return asyncRunner((fn) => db.transaction().execute(fn), (trx: Transaction<DB>) => fromKyselyMysql(trx), store);
}

/**
 * Refused when the runner is made, not at the first message. SQLite has no runner: handlers
 * there run inside the store's synchronous better-sqlite3 transaction, and Kysely's are
 * asynchronous (Drizzle's are not: see txbox/drizzle).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function checkDialect(db: Kysely<any>, want: Dialect, fn: string): void {
  if (typeof (db as { transaction?: unknown } | null)?.transaction !== 'function' || typeof db.getExecutor !== 'function') {
    throw invalidArgument('db', db, `must be a Kysely instance for ${fn}`);
  }
  const dialect = dialectOf(db);
  if (dialect === 'SQLite') {
    throw invalidArgument('db', db, `is a Kysely on SQLite: in-process consumers there run in the store's synchronous better-sqlite3 transactions (createConsumers without transaction), which Kysely's asynchronous ones cannot join`);
  }
  if (dialect && dialect !== want) throw invalidArgument('db', db, `is a Kysely on ${dialect}: use ${dialect === 'MySQL' ? 'kyselyMysqlTransactions' : 'kyselyTransactions'}`);
}
