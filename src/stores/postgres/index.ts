export { createPostgresInbox, createPostgresSchedules, createPostgresStore, type PostgresStore, type PostgresStoreOptions } from './postgres-store.js';
export type { PgInboxOptions } from './inbox.js';
export type { PgSchedulesOptions } from './schedules.js';
export type { PgClientLike, PgClientOf, PgPoolLike, PgQueryable, PgTransaction, PgTransactionQuery } from './driver.js';
export type { ClaimMode } from './sql.js';
export { DEFAULT_COLUMNS, type OutboxColumns } from '../shared/layout.js';
