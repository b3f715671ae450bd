import { systemClock, type Clock } from '../../core/clock.js';
import { invalidOption } from '../../core/errors.js';
import { rejectUnknownOptions } from '../../core/option-keys.js';
import { COMMON_STORE_OPTION_KEYS, resolveCommonStoreOptions, type CommonStoreOptions, type ResolvedCommonStoreOptions } from '../../core/store-options.js';
import { resolveLayout, type LayoutOptions, type TableLayout } from '../shared/layout.js';
import type { SqliteDatabaseLike } from './driver.js';

export interface SqliteStoreOptions<D extends SqliteDatabaseLike = SqliteDatabaseLike> extends CommonStoreOptions, Omit<LayoutOptions, 'schema'> {
  /** A better-sqlite3 Database. Use WAL mode and a busy timeout when several processes share the file. */
  db: D;
  /** Table name. Default `txbox_outbox`. */
  table?: string;
  /** Source of time for availability and leases (SQLite has no server clock). */
  clock?: Clock;
}

export interface ResolvedSqliteOptions extends ResolvedCommonStoreOptions {
  db: SqliteDatabaseLike;
  layout: TableLayout;
  clock: Clock;
}

export function resolveSqliteOptions(o: SqliteStoreOptions): ResolvedSqliteOptions {
  const db = o?.db;
  if (!db || typeof db.prepare !== 'function' || typeof db.transaction !== 'function') {
    throw invalidOption('db', db, 'must be a better-sqlite3 Database');
  }
  if ((o as { schema?: unknown }).schema !== undefined) throw invalidOption('schema', (o as { schema?: unknown }).schema, 'is not supported by SQLite (attach a database instead)');
  rejectUnknownOptions<SqliteStoreOptions>(o, { ...COMMON_STORE_OPTION_KEYS, db: true, table: true, columns: true, clock: true });
  return { ...resolveCommonStoreOptions(o), db, layout: resolveLayout(o, 'txbox_outbox', '"'), clock: o.clock ?? systemClock };
}
