import { invalidOption } from '../../core/errors.js';
import { rejectUnknownOptions } from '../../core/option-keys.js';
import { COMMON_STORE_OPTION_KEYS, resolveCommonStoreOptions, type CommonStoreOptions, type ResolvedCommonStoreOptions } from '../../core/store-options.js';
import { LAYOUT_OPTION_KEYS, resolveLayout, type LayoutOptions, type TableLayout } from '../shared/layout.js';
import type { MysqlPoolLike } from './driver.js';
import type { MysqlClaimMode } from './sql.js';

export interface MysqlStoreOptions<P extends MysqlPoolLike = MysqlPoolLike> extends CommonStoreOptions, LayoutOptions {
  /** A mysql2 promise Pool (`createPool` from `mysql2/promise`), or anything with `query` and `getConnection`. */
  pool: P;
  /** Table name. Default `txbox_outbox`. */
  table?: string;
  /** Database of the table. Default: the connection's current database. */
  schema?: string;
  /** Server-side timeout of each statement the relay runs (claim, acknowledge, cleanup). Default 10 s. */
  queryTimeoutMs?: number;
  /**
   * `lease` (default): a claim stamps a lease and commits at once; nothing stays open while the
   * producer runs. `lock`: the claim transaction holds the rows' locks until the batch is
   * acknowledged (about twice the drain rate; one pooled connection per claim loop while it
   * publishes). Either way the server ends a paused relay's transaction after `claimTimeoutMs`.
   */
  claimMode?: MysqlClaimMode;
}

export interface ResolvedMysqlOptions extends ResolvedCommonStoreOptions {
  pool: MysqlPoolLike;
  layout: TableLayout;
  queryTimeoutMs: number;
  claimMode: MysqlClaimMode;
  /** Generated column holding the dedup key while the message is pending (quoted). */
  pendingDedup: string;
}

/** MySQL has no partial indexes: this generated column stands in for one (see schema.ts). */
export const PENDING_DEDUP_COLUMN = 'pending_dedup_key';

function checkPool(pool: unknown): MysqlPoolLike {
  const p = pool as MysqlPoolLike | null | undefined;
  if (!p || typeof p.query !== 'function' || typeof p.getConnection !== 'function') {
    throw invalidOption('pool', pool, 'must be a mysql2 promise Pool (with query and getConnection)');
  }
  return p;
}

export function resolveMysqlOptions(o: MysqlStoreOptions): ResolvedMysqlOptions {
  rejectUnknownOptions<MysqlStoreOptions>(o, { ...COMMON_STORE_OPTION_KEYS, ...LAYOUT_OPTION_KEYS, pool: true, queryTimeoutMs: true, claimMode: true });
  const pool = checkPool(o?.pool);
  const common = resolveCommonStoreOptions(o);
  const layout = resolveLayout(o, 'txbox_outbox', '`');
  for (const [role, name] of Object.entries(o.columns ?? {})) {
    if (name === PENDING_DEDUP_COLUMN) throw invalidOption(`columns.${role}`, name, `is reserved for the store's generated dedup column`);
  }
  const queryTimeoutMs = o.queryTimeoutMs ?? 10_000;
  if (!(Number.isInteger(queryTimeoutMs) && queryTimeoutMs > 0)) {
    throw invalidOption('queryTimeoutMs', queryTimeoutMs, 'must be a positive integer');
  }
  const claimMode = o.claimMode ?? 'lease';
  if (claimMode !== 'lease' && claimMode !== 'lock') throw invalidOption('claimMode', claimMode, "must be 'lease' or 'lock'");
  return { ...common, pool, layout, queryTimeoutMs, claimMode, pendingDedup: layout.quote(PENDING_DEDUP_COLUMN) };
}

/** Options of the inbox and schedules tables. */
export interface MysqlTableOptions {
  /** A mysql2 promise Pool, as for the store. */
  pool: MysqlPoolLike;
  table?: string;
  /** Database of the table. Default: the connection's current database. */
  schema?: string;
}

/** Validates the pool and the table's names; does no I/O. */
export function resolveTableOptions(o: MysqlTableOptions, defaultTable: string) {
  if (o === null || typeof o !== 'object') throw invalidOption('options', o, 'must be an object');
  rejectUnknownOptions<MysqlTableOptions>(o, { pool: true, table: true, schema: true });
  const pool = checkPool(o.pool);
  const { table, bareTable, quote } = resolveLayout({ table: o.table, schema: o.schema }, defaultTable, '`');
  return { pool, table, bareTable, quote, schema: o.schema };
}
