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
