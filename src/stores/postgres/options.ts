import { invalidOption } from '../../core/errors.js';
import type { OptionKeys } from '../../core/option-keys.js';
import { COMMON_STORE_OPTION_KEYS, resolveCommonStoreOptions, type CommonStoreOptions, type ResolvedCommonStoreOptions } from '../../core/store-options.js';
import { checkIdentifier, fitIdentifier, LAYOUT_OPTION_KEYS, PG_MAX_IDENTIFIER, resolveLayout, type LayoutOptions, type TableLayout } from '../shared/layout.js';
import type { ClaimMode } from './sql.js';

export interface PgDialectOptions extends CommonStoreOptions, LayoutOptions {
  /** Table name. Default `txbox_outbox`. */
  table?: string;
  /** Schema of the table. Default: the connection's search_path. */
  schema?: string;
  /** Server-side timeout of the relay's statements (lock mode). Default 10 s. */
  queryTimeoutMs?: number;
  /**
   * Writers send a NOTIFY with each `send()`, and relays on this store LISTEN (one pooled
   * connection each), waking relays in other processes at once. Set it on the writers' and the
   * relays' stores alike. Default false: no NOTIFY, no LISTEN, relays poll.
   */
  notify?: boolean;
  /** LISTEN/NOTIFY channel. Default `txbox_<table>`. */
  channel?: string;
}

/** The keys every PostgreSQL-dialect store knows; each factory adds its driver's (`pool`, `db`). */
export const PG_DIALECT_OPTION_KEYS: OptionKeys<PgDialectOptions> = { ...COMMON_STORE_OPTION_KEYS, ...LAYOUT_OPTION_KEYS, queryTimeoutMs: true, notify: true, channel: true };

export interface ResolvedPgDialectOptions extends ResolvedCommonStoreOptions {
  layout: TableLayout;
  schema: string | undefined;
  queryTimeoutMs: number;
  notify: boolean;
  channel: string;
  claimMode: ClaimMode;
}

export function resolvePgDialectOptions(o: PgDialectOptions, claimMode: ClaimMode): ResolvedPgDialectOptions {
  const common = resolveCommonStoreOptions(o);
  const layout = resolveLayout(o, 'txbox_outbox', '"', PG_MAX_IDENTIFIER);
  const queryTimeoutMs = o.queryTimeoutMs ?? 10_000;
  if (!(Number.isInteger(queryTimeoutMs) && queryTimeoutMs > 0)) {
    throw invalidOption('queryTimeoutMs', queryTimeoutMs, 'must be a positive integer');
  }
  if (o.notify !== undefined && typeof o.notify !== 'boolean') throw invalidOption('notify', o.notify, 'must be a boolean');
  return {
    ...common,
    layout,
    schema: o.schema,
    queryTimeoutMs,
    notify: o.notify ?? false,
    channel: checkIdentifier('channel', o.channel ?? fitIdentifier(layout.bareTable, '', PG_MAX_IDENTIFIER, 'txbox_')),
    claimMode,
  };
}
