export { createMysqlStore, type MysqlStore } from './store.js';
export type { MysqlStoreOptions } from './options.js';
export type { MysqlClaimMode } from './sql.js';
export type { MysqlConnectionLike, MysqlConnectionOf, MysqlPoolLike, MysqlQueryable, MysqlTransaction, MysqlTransactionQuery } from './driver.js';
export { DEFAULT_COLUMNS, type OutboxColumns } from '../shared/layout.js';
export { createMysqlInbox, type MysqlInboxOptions } from './inbox.js';
export { createMysqlSchedules, type MysqlSchedulesOptions } from './schedules.js';
