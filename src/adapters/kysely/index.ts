export { fromKysely, fromKyselyMysql, fromKyselySqlite } from './kysely.js';
