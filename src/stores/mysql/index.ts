export { createMysqlStore, type MysqlStore } from './store.js';
export type { MysqlStoreOptions } from './options.js';
export type { MysqlConnectionLike, MysqlPoolLike, MysqlQueryable } from './driver.js';
export { DEFAULT_COLUMNS, type OutboxColumns } from '../shared/layout.js';
