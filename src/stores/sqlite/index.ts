export { createSqliteStore, type SqliteStore } from './store.js';
export type { SqliteStoreOptions } from './options.js';
export type { SqliteAsyncTransactionLike, SqliteDatabaseLike, SqliteTransactionLike } from './driver.js';
export { DEFAULT_COLUMNS, type OutboxColumns } from '../shared/layout.js';
export { createSqliteInbox, type SqliteInboxOptions } from './inbox.js';
export { createSqliteSchedules, type SqliteSchedulesOptions } from './schedules.js';
