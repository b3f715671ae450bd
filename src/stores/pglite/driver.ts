import type { PgQueryable } from '../postgres/driver.js';

/** The PGlite methods the store calls: `PGlite` itself (its transactions are `PgQueryable`). */
export interface PgliteLike extends PgQueryable {
  exec(sql: string): Promise<unknown>;
  transaction<T>(fn: (tx: PgQueryable) => Promise<T>): Promise<T>;
  listen?(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>>;
}
