export { fromPostgresJs, type PostgresJsTransaction } from './postgresjs.js';
