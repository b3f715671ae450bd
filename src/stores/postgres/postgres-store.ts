import type { InboxStore } from '../../core/inbox.js';
import type { OutboxStore } from '../../core/store.js';
import { buildPgInbox, type PgInboxOptions } from './inbox.js';
import type { ScheduleStore } from '../../core/schedule-store.js';
import { buildPgSchedules, type PgSchedulesOptions } from './schedules.js';
import { invalidOption } from '../../core/errors.js';
import { rejectUnknownOptions } from '../../core/option-keys.js';
import type { PgClientLike, PgClientOf, PgPoolLike, PgTransaction } from './driver.js';
import { PG_DIALECT_OPTION_KEYS, resolvePgDialectOptions, type PgDialectOptions } from './options.js';
import { buildPgStore } from './store.js';
import type { ClaimMode } from './sql.js';
import { listen } from './watch.js';

export interface PostgresStoreOptions<P extends PgPoolLike = PgPoolLike> extends PgDialectOptions {
  /** A `pg.Pool` (or anything with `query` and `connect`). */
  pool: P;
  /**
   * `lock` (default): a claim holds its rows with FOR UPDATE SKIP LOCKED in a transaction the
   * server ends after `claimTimeoutMs` idle. `lease`: a claim stamps a lease and commits at once.
   */
  claimMode?: ClaimMode;
}

/** `C`: the pool's client type (`pg.PoolClient`), which `transaction` hands to its callback. */
export interface PostgresStore<C = PgClientLike> extends OutboxStore<PgTransaction> {
  /** Runs `fn` in a transaction on a pooled connection, commits, then wakes relays in this process. */
  transaction<T>(fn: (client: C) => Promise<T>): Promise<T>;
}

export function createPostgresStore<P extends PgPoolLike>(options: PostgresStoreOptions<P>): PostgresStore<PgClientOf<P>> {
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
    // No LISTEN where nothing NOTIFYs: it would hold a pooled connection for as long as the relay runs.
    ...(o.notify ? { watch: (onWake: () => void, onError: (error: unknown) => void) => listen(pool, o.channel, onWake, onError) } : {}),
    async transaction(fn) {
      const client = await pool.connect();
      let result;
      try {
        await client.query('BEGIN');
        // The client is what this pool's connect() gave, so it is of the pool's client type.
        result = await fn(client as PgClientOf<P>);
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
export function createPostgresInbox(options: PgInboxOptions & { pool: PgPoolLike }): InboxStore<PgTransaction> {
  rejectUnknownOptions<PgInboxOptions & { pool: PgPoolLike }>(options, { pool: true, table: true, schema: true });
  const pool = options?.pool;
  if (!pool || typeof pool.query !== 'function') throw invalidOption('pool', pool, 'must be a pg Pool');
  return buildPgInbox<PgTransaction>('postgres', pool, options);
}

/** The schedules table on the same pool, for recurring messages of `txbox/consumers`. */
export function createPostgresSchedules(options: PgSchedulesOptions & { pool: PgPoolLike }): ScheduleStore<PgTransaction> {
  rejectUnknownOptions<PgSchedulesOptions & { pool: PgPoolLike }>(options, { pool: true, table: true, schema: true });
  const pool = options?.pool;
  if (!pool || typeof pool.query !== 'function') throw invalidOption('pool', pool, 'must be a pg Pool');
  return buildPgSchedules<PgTransaction>('postgres', pool, options);
}
