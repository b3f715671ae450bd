export { fromMikroOrm, fromMikroOrmMysql, type MikroOrmMysqlTransaction, type MikroOrmPgTransaction } from './mikro-orm.js';
export { mikroOrmMysqlTransactions, mikroOrmTransactions } from './consumers.js';
