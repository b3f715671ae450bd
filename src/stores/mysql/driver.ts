import { invalidArgument } from '../../core/errors.js';

/**
 * The few mysql2 methods the store calls, as structural types: a mysql2 promise `Pool` and its
 * `PoolConnection` fit, and txbox never imports mysql2. Results come back the mysql2 way, as
 * `[rows or result header, fields]`.
 */
export interface MysqlQueryable {
  // Rows come back as the driver decodes them; the store reads them through fixed aliases.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  query(sql: string, values?: unknown[]): Promise<[any, ...unknown[]]>;
}

/**
 * A query function bound to one open transaction, as an adapter (`txbox/typeorm`,
 * `txbox/prisma`...) makes it from its stack's transaction: the write seam, answering the
 * mysql2 way. `inTransaction` is what tells it, by type, from a pool, which has `query` too.
 */
export interface MysqlTransactionQuery extends MysqlQueryable {
  readonly inTransaction: true;
}

/** What `send()` takes: a mysql2 `PoolConnection` in a transaction, or an adapter's handle. */
export type MysqlTransaction = MysqlConnectionLike | MysqlTransactionQuery;

/** A connection checked out of a pool: mysql2's `PoolConnection`. */
export interface MysqlConnectionLike extends MysqlQueryable {
  release(): void;
  /** Closes the connection instead of returning it to the pool (its session state is unknown). */
  destroy(): void;
}

/** mysql2's promise `Pool` (`mysql.createPool(...)` from `mysql2/promise`). */
export interface MysqlPoolLike extends MysqlQueryable {
  getConnection(): Promise<MysqlConnectionLike>;
}

/** The connection type a pool's `getConnection()` resolves to (mysql2's `PoolConnection`): what `store.transaction(fn)` passes to `fn`. */
export type MysqlConnectionOf<P> = P extends { getConnection(): Promise<infer C> } ? C : MysqlConnectionLike;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function selectRows<T = any>(db: MysqlQueryable, sql: string, values?: unknown[]): Promise<T[]> {
  const [rows] = await db.query(sql, values);
  return rows as T[];
}

/** Rows an INSERT, UPDATE or DELETE matched (mysql2 reports found rows by default). */
export async function affectedRows(db: MysqlQueryable, sql: string, values?: unknown[]): Promise<number> {
  const [header] = await db.query(sql, values);
  return Number((header as { affectedRows?: unknown }).affectedRows ?? 0);
}

interface ServerError {
  errno?: unknown;
  code?: unknown;
  sqlMessage?: unknown;
  message?: unknown;
}

/**
 * The unique index a duplicate-key error (1062) names, or undefined for any other error.
 * MariaDB says `for key 'name'`, MySQL 8 `for key 'table.name'`.
 */
export function duplicateKeyIndex(error: unknown): string | undefined {
  const e = error as ServerError | null;
  if (!e || (e.errno !== 1062 && e.code !== 'ER_DUP_ENTRY')) return undefined;
  const text = String(e.sqlMessage ?? e.message ?? '');
  const match = /for key '(?:[^']*\.)?([^'.]+)'\s*$/.exec(text);
  return match?.[1] ?? '';
}

export function placeholders(n: number): string {
  return Array.from({ length: n }, () => '?').join(', ');
}

/**
 * Refuses a mysql2 pool where a connection in the caller's transaction belongs: on a pool each
 * statement runs on some connection in autocommit, so a message would be stored even if the
 * caller's transaction rolled back. A pool has `getConnection`; a PoolConnection has not.
 */
export function checkTransactionHandle(tx: unknown, pool: unknown, field = 'tx'): void {
  if (tx === pool || typeof (tx as { getConnection?: unknown } | null)?.getConnection === 'function') {
    throw invalidArgument(field, tx, 'must be a connection in a transaction (const conn = await pool.getConnection(); START TRANSACTION), not a pool, on which each statement commits on its own');
  }
}

/** ER_NO_SUCH_TABLE (1146): the table was never created. */
export function isNoSuchTable(error: unknown): boolean {
  const e = error as ServerError | null;
  return e?.errno === 1146 || e?.code === 'ER_NO_SUCH_TABLE';
}

/** ER_LOCK_DEADLOCK (1213): InnoDB rolled the whole transaction back to break a deadlock. */
export function isDeadlock(error: unknown): boolean {
  const e = error as ServerError | null;
  return e?.errno === 1213 || e?.code === 'ER_LOCK_DEADLOCK';
}
