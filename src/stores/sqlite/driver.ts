import { invalidArgument, schemaMissing, TxboxError } from '../../core/errors.js';
import type { EncodedMessage } from '../../core/message.js';

/**
 * The better-sqlite3 methods the store calls, as structural types (txbox never imports it).
 * Statements are prepared once per database handle.
 */
export interface SqliteStatementLike {
  run(...params: unknown[]): { changes: number };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  all(...params: unknown[]): any[];
}

export interface SqliteTransactionFn<T> {
  (): T;
  immediate(): T;
}

export interface SqliteDatabaseLike {
  prepare(sql: string): SqliteStatementLike;
  exec(sql: string): unknown;
  transaction<T>(fn: () => T): SqliteTransactionFn<T>;
  /** better-sqlite3 tells whether a transaction is open. */
  readonly inTransaction?: boolean;
}

/**
 * A transaction on the store's database reached through an asynchronous driver (Kysely's
 * SqliteDialect, see `txbox/kysely`): one function runs a statement and says how many rows it
 * changed. Only `send()` and debounce take it; `sendSync` needs the better-sqlite3 Database.
 */
export interface SqliteAsyncTransactionLike {
  runAsync(sql: string, params: readonly unknown[]): Promise<{ changes: number }>;
}

export type SqliteTransactionLike = SqliteDatabaseLike | SqliteAsyncTransactionLike;

export function isAsyncTransaction(tx: unknown): tx is SqliteAsyncTransactionLike {
  return typeof (tx as { runAsync?: unknown } | null)?.runAsync === 'function';
}

export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** Caches prepared statements per database handle (a store may write through several). */
export function statementCache() {
  const byDb = new WeakMap<SqliteDatabaseLike, Map<string, SqliteStatementLike>>();
  return (db: SqliteDatabaseLike, sql: string): SqliteStatementLike => {
    let cache = byDb.get(db);
    if (!cache) byDb.set(db, (cache = new Map()));
    let stmt = cache.get(sql);
    if (!stmt) cache.set(sql, (stmt = db.prepare(sql)));
    return stmt;
  };
}

/**
 * Refuses a database with no transaction open: each statement would commit on its own, so a
 * message would be stored even if the caller's work failed. Use `store.transaction(fn)` or
 * better-sqlite3's `db.transaction(fn)`.
 */
export function checkTransactionHandle(tx: SqliteDatabaseLike, field = 'tx'): void {
  if (tx?.inTransaction === false) {
    throw invalidArgument(field, tx, 'must be a database inside a transaction (store.transaction(fn) or db.transaction(fn)); none is open, so each statement would commit on its own');
  }
}

export function isNoSuchTable(error: unknown): boolean {
  return (error as { code?: unknown })?.code === 'SQLITE_ERROR' && /^no such table/.test(String((error as Error).message));
}

/** The typed error for a failed INSERT of `messages[index]`; other errors are returned as they are. */
export function writeError(error: unknown, m: EncodedMessage, index: number): unknown {
  if (isNoSuchTable(error)) return schemaMissing('outbox', error);
  if (!isUniqueViolation(error)) return error;
  return new TxboxError('DUPLICATE_ID', `a message with id ${m.id} (messages[${index}]) already exists`, { cause: error, field: `messages[${index}].id`, value: m.id });
}
