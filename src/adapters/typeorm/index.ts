export { fromTypeOrm, fromTypeOrmMysql } from './typeorm.js';
