export { fromTypeOrm, fromTypeOrmMysql, type TypeOrmMysqlTransaction, type TypeOrmPgTransaction } from './typeorm.js';
export { typeOrmMysqlTransactions, typeOrmTransactions } from './consumers.js';
