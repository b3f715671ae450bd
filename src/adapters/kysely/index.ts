export { fromKysely, fromKyselyMysql, fromKyselySqlite, type KyselyMysqlTransaction, type KyselyPgTransaction } from './kysely.js';
export { kyselyMysqlTransactions, kyselyTransactions } from './consumers.js';
