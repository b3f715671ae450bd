import type { InboxStore } from '../../core/inbox.js';
import type { OutboxStore } from '../../core/store.js';
import { buildPgInbox, type PgInboxOptions } from './inbox.js';
import type { ScheduleStore } from '../../core/schedule-store.js';
import { buildPgSchedules, type PgSchedulesOptions } from './schedules.js';
import { invalidOption } from '../../core/errors.js';
import { rejectUnknownOptions } from '../../core/option-keys.js';
import type { PgClientLike, PgPoolLike, PgTransaction } from './driver.js';
import { PG_DIALECT_OPTION_KEYS, resolvePgDialectOptions, type PgDialectOptions } from './options.js';
import { buildPgStore } from './store.js';
import type { ClaimMode } from './sql.js';
import { listen } from './watch.js';

export interface PostgresStoreOptions extends PgDialectOptions {
  /** A `pg.Pool` (or anything with `query` and `connect`). */
  pool: PgPoolLike;
  /**
   * `lock` (default): a claim holds its rows with FOR UPDATE SKIP LOCKED in a transaction the
   * server ends after `claimTimeoutMs` idle. `lease`: a claim stamps a lease and commits at once.
   */
  claimMode?: ClaimMode;
}

export interface PostgresStore extends OutboxStore<PgTransaction> {
  /** Runs `fn` in a transaction on a pooled connection, commits, then wakes relays in this process. */
  transaction<T>(fn: (client: PgClientLike) => Promise<T>): Promise<T>;
}

export function createPostgresStore(options: PostgresStoreOptions): PostgresStore {
  rejectUnknownOptions<PostgresStoreOptions>(options, { ...PG_DIALECT_OPTION_KEYS, pool: true, claimMode: true });
  const pool = options?.pool;
  if (!pool || typeof pool.query !== 'function' || typeof pool.connect !== 'function') {
    throw invalidOption('pool', pool, 'must be a pg Pool (with query and connect)');
  }
  const claimMode = options.claimMode ?? 'lock';
  if (claimMode !== 'lock' && claimMode !== 'lease') throw invalidOption('claimMode', claimMode, "must be 'lock' or 'lease'");
  const o = resolvePgDialectOptions(options, claimMode);
  const store = buildPgStore<PgTransaction>('postgres', pool, o);
  return {
    ...store,
    watch: (onWake, onError) => listen(pool, o.channel, onWake, onError),
    async transaction(fn) {
      const client = await pool.connect();
      let result;
      try {
        await client.query('BEGIN');
        result = await fn(client);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        client.release();
        throw error;
      }
      client.release();
      store.wakes.nudge();
      return result;
    },
  };
}

/** The inbox table on the same pool: `createInbox({ store: createPostgresInbox({ pool }), outbox })`. */
export function createPostgresInbox(options: PgInboxOptions & { pool: PgPoolLike }): InboxStore<PgClientLike> {
  rejectUnknownOptions<PgInboxOptions & { pool: PgPoolLike }>(options, { pool: true, table: true, schema: true });
  const pool = options?.pool;
  if (!pool || typeof pool.query !== 'function') throw invalidOption('pool', pool, 'must be a pg Pool');
  return buildPgInbox<PgClientLike>('postgres', pool, options);
}

/** The schedules table on the same pool, for recurring messages of `txbox/consumers`. */
export function createPostgresSchedules(options: PgSchedulesOptions & { pool: PgPoolLike }): ScheduleStore<PgClientLike> {
  rejectUnknownOptions<PgSchedulesOptions & { pool: PgPoolLike }>(options, { pool: true, table: true, schema: true });
  const pool = options?.pool;
  if (!pool || typeof pool.query !== 'function') throw invalidOption('pool', pool, 'must be a pg Pool');
  return buildPgSchedules<PgClientLike>('postgres', pool, options);
}
