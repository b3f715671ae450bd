export { fromMikroOrm, fromMikroOrmMysql } from './mikro-orm.js';
