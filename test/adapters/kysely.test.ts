import Database from 'better-sqlite3';
import { Kysely, MysqlDialect, PostgresDialect, SqliteDialect, type Transaction } from 'kysely';
import { createPool } from 'mysql2';
import pg from 'pg';
import { fromKysely, fromKyselyMysql, fromKyselySqlite } from '../../src/adapters/kysely/index.js';
import { MYSQL_URL, PG_URL } from '../support/env.js';
import { adapterContract } from './contract.js';
import { mysqlStores, ormTransaction, postgresStores, sqliteStores } from './databases.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyTrx = Transaction<any>;

const pgStores = postgresStores();
const pgDb: AnyDb = new Kysely({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: PG_URL, max: 3 }) }) });
adapterContract({
  name: 'Kysely on PostgreSQL (fromKysely)',
  async create() {
    const store = await pgStores.create('kysely_pg');
    return {
      store,
      transaction: (fn, commit) => ormTransaction<AnyTrx, unknown>((cb) => pgDb.transaction().execute(cb), (trx) => fn(fromKysely(trx)), commit) as never,
      notTransactions: () => [
        { what: 'the root Kysely instance', handle: () => fromKysely(pgDb as never) },
        { what: 'the pg pool under it', handle: () => pgStores.pool },
      ],
    };
  },
  async close() {
    await pgDb.destroy();
    await pgStores.close();
  },
});

const myStores = mysqlStores();
const myDb: AnyDb = new Kysely({ dialect: new MysqlDialect({ pool: createPool({ uri: MYSQL_URL, connectionLimit: 3 }) }) });
adapterContract({
  name: 'Kysely on MariaDB (fromKyselyMysql)',
  async create() {
    const store = await myStores.create('kysely_my');
    return {
      store,
      transaction: (fn, commit) => ormTransaction<AnyTrx, unknown>((cb) => myDb.transaction().execute(cb), (trx) => fn(fromKyselyMysql(trx)), commit) as never,
      notTransactions: () => [
        { what: 'the root Kysely instance', handle: () => fromKyselyMysql(myDb as never) },
        { what: 'a PostgreSQL Kysely given to the MySQL adapter', handle: () => fromKyselyMysql(pgDb as never) },
      ],
    };
  },
  async close() {
    await myDb.destroy();
    await myStores.close();
  },
});

// Kysely's SqliteDialect is asynchronous: between two awaits of a Kysely transaction, anything
// else on the same Database would join it. The store (the relay's claims) gets its own connection.
const liteStores = sqliteStores();
const liteDbs: AnyDb[] = [];
adapterContract({
  name: 'Kysely on SQLite (fromKyselySqlite)',
  async create() {
    const { db, store } = await liteStores.create('kysely_lite');
    const kdb: AnyDb = new Kysely({ dialect: new SqliteDialect({ database: new Database(db.name) }) });
    liteDbs.push(kdb);
    return {
      store,
      transaction: (fn, commit) => ormTransaction<AnyTrx, unknown>((cb) => kdb.transaction().execute(cb), (trx) => fn(fromKyselySqlite(trx)), commit) as never,
      notTransactions: () => [
        { what: 'the root Kysely instance', handle: () => fromKyselySqlite(kdb as never) },
        { what: 'a MySQL Kysely given to the SQLite adapter', handle: () => fromKyselySqlite(myDb as never) },
      ],
    };
  },
  async close() {
    for (const kdb of liteDbs) await kdb.destroy();
    await liteStores.close();
  },
});
