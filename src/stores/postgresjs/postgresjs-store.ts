import { invalidOption } from '../../core/errors.js';
import { rejectUnknownOptions } from '../../core/option-keys.js';
import type { OutboxStore } from '../../core/store.js';
import type { PostgresJsTransaction } from '../../adapters/postgresjs/postgresjs.js';
import type { PgTransaction } from '../postgres/driver.js';
import { PG_DIALECT_OPTION_KEYS, resolvePgDialectOptions, type PgDialectOptions } from '../postgres/options.js';
import { buildPgStore } from '../postgres/store.js';
import { connectionSource, toQueryable, type PostgresJsLike } from './driver.js';

export interface PostgresJsStoreOptions extends PgDialectOptions {
  /** A postgres.js instance (`postgres(url)`), without column-name transforms. */
  sql: PostgresJsLike;
  /**
   * `lease` only (the default): a claim stamps a lease and commits at once. Lock mode relies on
   * the server ending a paused relay's claim session, and postgres.js (3.4) throws an uncaught
   * TypeError from its write timer when a reserved connection the server closed is used again.
   */
  claimMode?: 'lease';
}

export interface PostgresJsStore extends OutboxStore<PostgresJsTransaction | PgTransaction> {
  /** Runs `fn` in `sql.begin(...)`, then wakes relays in this process. */
  transaction<T>(fn: (tx: PostgresJsTransaction) => Promise<T>): Promise<T>;
}

/**
 * The PostgreSQL store on postgres.js (porsager) alone: the same SQL and promises as
 * `txbox/postgres` in lease mode, over `sql.unsafe`, `sql.reserve()` (a claim's short
 * transaction), `sql.begin()` and `sql.listen()`.
 * Constructing does no I/O.
 */
export function createPostgresJsStore(options: PostgresJsStoreOptions): PostgresJsStore {
  rejectUnknownOptions<PostgresJsStoreOptions>(options, { ...PG_DIALECT_OPTION_KEYS, sql: true, claimMode: true });
  const sql = options?.sql;
  if (typeof sql?.unsafe !== 'function' || typeof sql.reserve !== 'function' || typeof sql.begin !== 'function') {
    throw invalidOption('sql', sql, 'must be a postgres.js instance (postgres(url)), with unsafe, reserve and begin');
  }
  // txbox reads its rows by fixed snake_case aliases; postgres.camel and the like would rename them.
  if (sql.options?.transform?.column?.from) {
    throw invalidOption('sql', sql, 'must not transform column names (transform: postgres.camel...); give txbox its own postgres() instance without it');
  }
  const claimMode = options.claimMode ?? 'lease';
  if (claimMode !== 'lease') {
    throw invalidOption('claimMode', claimMode, "must be 'lease' on postgres.js: lock-mode claims end by the server closing the claim's session, which postgres.js 3.4 cannot survive on a reserved connection (use txbox/postgres for lock mode)");
  }
  const o = resolvePgDialectOptions(options, claimMode);
  const store = buildPgStore<PgTransaction>('postgresjs', connectionSource(sql), o);
  return {
    ...store,
    write: (tx, messages) => store.write(toQueryable(tx), messages),
    replacePending: (tx, m) => store.replacePending!(toQueryable(tx), m),
    async watch(onWake) {
      // postgres.js re-listens by itself after a lost connection, so there is no error to report.
      const listener = await sql.listen(o.channel, onWake);
      return () => listener.unlisten();
    },
    async transaction(fn) {
      const result = await sql.begin(fn);
      store.wakes.nudge();
      return result;
    },
  };
}
