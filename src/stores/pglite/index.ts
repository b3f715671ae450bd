export { createPgliteInbox, createPgliteSchedules, createPgliteStore, type PgliteStore, type PgliteStoreOptions } from './pglite-store.js';
export type { PgliteLike } from './driver.js';
export { DEFAULT_COLUMNS, type OutboxColumns } from '../shared/layout.js';
