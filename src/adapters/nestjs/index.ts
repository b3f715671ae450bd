export { TxboxModule } from './module.js';
export { Txbox } from './txbox.js';
export { pgTransactionalAdapter, type PgTransactionOptions } from './pg-transactional.js';
export type { TransactionHostLike, TxboxModuleAsyncOptions, TxboxModuleOptions, TxboxModuleSyncOptions, TxboxRelayOptions } from './options.js';
