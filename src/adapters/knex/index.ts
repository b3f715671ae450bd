export { fromKnex, fromKnexMysql } from './knex.js';
