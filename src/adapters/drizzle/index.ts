export { fromDrizzle, type DrizzleMysqlTransaction, type DrizzlePgTransaction, type DrizzleSqliteTransaction } from './drizzle.js';
export { drizzleTransactions, type DrizzleTransactionOf } from './consumers.js';
