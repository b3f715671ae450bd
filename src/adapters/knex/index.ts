export { fromKnex, fromKnexMysql, type KnexMysqlTransaction, type KnexPgTransaction } from './knex.js';
export { knexMysqlTransactions, knexTransactions } from './consumers.js';
