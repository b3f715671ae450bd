import { invalidOption } from '../../core/errors.js';
import { rejectUnknownOptions } from '../../core/option-keys.js';
import type { InboxStore } from '../../core/inbox.js';
import type { OutboxStore } from '../../core/store.js';
import { buildPgInbox, type PgInboxOptions } from '../postgres/inbox.js';
import type { ScheduleStore } from '../../core/schedule-store.js';
import { buildPgSchedules, type PgSchedulesOptions } from '../postgres/schedules.js';
import type { PgQueryable } from '../postgres/driver.js';
import { PG_DIALECT_OPTION_KEYS, resolvePgDialectOptions, type PgDialectOptions } from '../postgres/options.js';
import { buildPgStore } from '../postgres/store.js';
import type { PgliteLike } from './driver.js';

export interface PgliteStoreOptions extends PgDialectOptions {
  /** A PGlite instance. */
  db: PgliteLike;
}

export interface PgliteStore extends OutboxStore<PgQueryable> {
  /** Runs `fn` in a PGlite transaction, then wakes relays in this process. */
  transaction<T>(fn: (tx: PgQueryable) => Promise<T>): Promise<T>;
}

/**
 * PostgreSQL's SQL, in process. PGlite has a single connection, so a claim must never hold a
 * transaction open across a produce call (the application's own queries would queue behind it):
 * claims are leases here.
 */
export function createPgliteStore(options: PgliteStoreOptions): PgliteStore {
  rejectUnknownOptions<PgliteStoreOptions>(options, { ...PG_DIALECT_OPTION_KEYS, db: true });
  const db = options?.db;
  if (!db || typeof db.query !== 'function' || typeof db.transaction !== 'function') {
    throw invalidOption('db', db, 'must be a PGlite instance');
  }
  const o = resolvePgDialectOptions(options, 'lease');
  const store = buildPgStore<PgQueryable>('pglite', db, o);
  return {
    ...store,
    async transaction(fn) {
      const result = await db.transaction(fn);
      store.wakes.nudge();
      return result;
    },
  };
}

/** The inbox table in the same PGlite database. */
export function createPgliteInbox(options: PgInboxOptions & { db: PgliteLike }): InboxStore<PgQueryable> {
  rejectUnknownOptions<PgInboxOptions & { db: PgliteLike }>(options, { db: true, table: true, schema: true });
  const db = options?.db;
  if (!db || typeof db.query !== 'function') throw invalidOption('db', db, 'must be a PGlite instance');
  return buildPgInbox<PgQueryable>('pglite', db, options);
}

/** The schedules table in the same PGlite database. */
export function createPgliteSchedules(options: PgSchedulesOptions & { db: PgliteLike }): ScheduleStore<PgQueryable> {
  rejectUnknownOptions<PgSchedulesOptions & { db: PgliteLike }>(options, { db: true, table: true, schema: true });
  const db = options?.db;
  if (!db || typeof db.query !== 'function') throw invalidOption('db', db, 'must be a PGlite instance');
  return buildPgSchedules<PgQueryable>('pglite', db, options);
}
