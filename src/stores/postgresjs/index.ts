export { createPostgresJsStore, type PostgresJsStore, type PostgresJsStoreOptions } from './postgresjs-store.js';
export { fromPostgresJs, type PostgresJsTransaction } from '../../adapters/postgresjs/postgresjs.js';
export type { PostgresJsLike } from './driver.js';
export { DEFAULT_COLUMNS, type OutboxColumns } from '../shared/layout.js';
