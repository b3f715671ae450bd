import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { Kysely, MysqlDialect, PostgresDialect, SqliteDialect, WithSchemaPlugin } from 'kysely';
import { createPool } from 'mysql2';
import { fromKysely, fromKyselyMysql, kyselyMysqlTransactions, kyselyTransactions, type KyselyMysqlTransaction, type KyselyPgTransaction } from '../../src/adapters/kysely/index.js';
import { TxboxError } from '../../src/core/index.js';
import type { ShipmentRow } from './consumer-databases.js';
import { mysqlConsumerDatabases, pgConsumerDatabases } from './consumer-databases.js';
import { adapterConsumersContract } from './consumers-contract.js';

interface DB {
  shipments: ShipmentRow;
}

const pg = pgConsumerDatabases();
const pgKyselys: Kysely<DB>[] = [];
adapterConsumersContract<KyselyPgTransaction<DB>>({
  name: 'Kysely transactions on PostgreSQL (kyselyTransactions)',
  async create() {
    const d = await pg.create();
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: pg.pool }), plugins: [new WithSchemaPlugin(d.schema)] });
    pgKyselys.push(db);
    return {
      ...d,
      transaction: kyselyTransactions(db, d.store),
      publish: (bus, input) => db.transaction().execute((trx) => bus.publish(fromKysely(trx), input)),
      // The handler's transaction is Kysely's, typed by the database's interface.
      ship: async (tx, orderId, attempt) => void (await tx.trx.insertInto('shipments').values({ order_id: orderId, attempt }).execute()),
    };
  },
  async close() {
    // The Kyselys share the pool, which close() ends.
    await pg.close();
  },
});

const my = mysqlConsumerDatabases();
const myKyselys: Kysely<DB>[] = [];
adapterConsumersContract<KyselyMysqlTransaction<DB>>({
  name: 'Kysely transactions on MariaDB (kyselyMysqlTransactions)',
  async create() {
    const d = await my.create();
    const db = new Kysely<DB>({ dialect: new MysqlDialect({ pool: createPool({ uri: d.url, connectionLimit: 3 }) }) });
    myKyselys.push(db);
    return {
      ...d,
      transaction: kyselyMysqlTransactions(db, d.store),
      publish: (bus, input) => db.transaction().execute((trx) => bus.publish(fromKyselyMysql(trx), input)),
      ship: async (tx, orderId, attempt) => void (await tx.trx.insertInto('shipments').values({ order_id: orderId, attempt }).execute()),
    };
  },
  async close() {
    for (const db of myKyselys) await db.destroy();
    await my.close();
  },
});

describe('kyselyTransactions', () => {
  it('refuses a Kysely on SQLite or on the other dialect when the runner is made', async () => {
    const lite = new Kysely<DB>({ dialect: new SqliteDialect({ database: new Database(':memory:') }) });
    const mariadb = new Kysely<DB>({ dialect: new MysqlDialect({ pool: createPool({ uri: 'mysql://127.0.0.1:1/none' }) }) });
    try {
      assert.throws(() => kyselyTransactions(lite), (e: unknown) => e instanceof TxboxError && e.code === 'INVALID_ARGUMENT' && e.field === 'db' && /synchronous better-sqlite3 transactions/.test(e.message));
      assert.throws(() => kyselyTransactions(mariadb), (e: unknown) => e instanceof TxboxError && /use kyselyMysqlTransactions/.test(e.message));
      assert.throws(() => kyselyMysqlTransactions(lite), (e: unknown) => e instanceof TxboxError && e.field === 'db');
    } finally {
      await lite.destroy();
      await mariadb.destroy();
    }
  });
});
