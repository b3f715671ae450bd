import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { Kysely, MysqlDialect, PostgresDialect, SqliteDialect, WithSchemaPlugin } from 'kysely';
import { createPool } from 'mysql2';
import pgDriver from 'pg';
import { fromKysely, fromKyselyMysql, kyselyMysqlTransactions, kyselyTransactions, type KyselyMysqlTransaction, type KyselyPgTransaction } from '../../src/adapters/kysely/index.js';
import { createConsumers, defineConsumer } from '../../src/consumers/index.js';
import { TxboxError } from '../../src/core/index.js';
import { createPostgresInbox, createPostgresStore } from '../../src/stores/postgres/index.js';
import { eventually, PG_URL, uniqueName } from '../support/env.js';
import type { ShipmentRow } from './consumer-databases.js';
import { mysqlConsumerDatabases, pgConsumerDatabases } from './consumer-databases.js';
import { adapterConsumersContract } from './consumers-contract.js';
import { assertSectionTested } from './doc-snippets.js';

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

// The example of docs/adapters/kysely.md (In-process consumers), run as written there.
describe('docs/adapters/kysely.md: in-process consumers', () => {
  const pool = new pgDriver.Pool({ connectionString: PG_URL, max: 3 });
  const schema = uniqueName('app');
  after(async () => {
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  });

  it("writes a handler's rows in its Kysely transaction, with its inbox row", async () => {
    await pool.query(`CREATE SCHEMA "${schema}"; CREATE TABLE "${schema}".shipments (order_id text PRIMARY KEY, attempt int NOT NULL)`);
    interface DB { shipments: { order_id: string; attempt: number } }
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }), plugins: [new WithSchemaPlugin(schema)] });
    const store = createPostgresStore({ pool, schema });
    const inbox = createPostgresInbox({ pool, schema });
    for (const part of [store, inbox]) await part.migrate();

    const ship = defineConsumer<KyselyPgTransaction<DB>, { orderId: string }>({
      name: 'ship',
      topics: ['order.placed'],
      handle: async ({ tx, payload, attempt }) => {
        // tx.trx is the handler's Kysely transaction: this row commits with the inbox row, or neither does.
        await tx.trx.insertInto('shipments').values({ order_id: payload.orderId, attempt }).execute();
      },
    });
    const bus = createConsumers({ store, inbox, consumers: [ship], transaction: kyselyTransactions(db, store) });
    bus.start();

    // Publish in a Kysely transaction of your own, with the order it announces.
    await db.transaction().execute((trx) => bus.publish(fromKysely(trx), { topic: 'order.placed', payload: { orderId: 'o-1' } }));
    bus.relay.nudge(); // handle it now, not at the next poll

    await eventually(async () => (await pool.query(`SELECT 1 FROM "${schema}".shipments`)).rows.length === 1, 5000, 'the shipment');
    await bus.stop();
    assertSectionTested(new URL('../../docs/adapters/kysely.md', import.meta.url), 'In-process consumers', new URL(import.meta.url));
  });
});
