import { after, describe, it } from 'node:test';
import knex, { type Knex } from 'knex';
import pgDriver from 'pg';
import { fromKnex, fromKnexMysql, knexMysqlTransactions, knexTransactions, type KnexMysqlTransaction, type KnexPgTransaction } from '../../src/adapters/knex/index.js';
import { createConsumers, defineConsumer } from '../../src/consumers/index.js';
import { createPostgresInbox, createPostgresStore } from '../../src/stores/postgres/index.js';
import { eventually, PG_URL, uniqueName } from '../support/env.js';
import { mysqlConsumerDatabases, pgConsumerDatabases } from './consumer-databases.js';
import { adapterConsumersContract } from './consumers-contract.js';
import { assertSectionTested } from './doc-snippets.js';

const knexes: Knex[] = [];
const pg = pgConsumerDatabases();
adapterConsumersContract<KnexPgTransaction>({
  name: 'Knex transactions on PostgreSQL (knexTransactions)',
  async create() {
    const d = await pg.create();
    const db = knex({ client: 'pg', connection: PG_URL, searchPath: [d.schema], pool: { min: 0, max: 2 } });
    knexes.push(db);
    return {
      ...d,
      transaction: knexTransactions(db, d.store),
      publish: (bus, input) => db.transaction((trx) => bus.publish(fromKnex(trx), input)),
      // The handler's transaction is Knex's: its query builder on the same connection.
      ship: async (tx, orderId, attempt) => void (await tx.trx('shipments').insert({ order_id: orderId, attempt })),
    };
  },
  async close() {
    for (const db of knexes.splice(0)) await db.destroy();
    await pg.close();
  },
});

const my = mysqlConsumerDatabases();
const myKnexes: Knex[] = [];
adapterConsumersContract<KnexMysqlTransaction>({
  name: 'Knex transactions on MariaDB (knexMysqlTransactions)',
  async create() {
    const d = await my.create();
    const db = knex({ client: 'mysql2', connection: d.url, pool: { min: 0, max: 2 } });
    myKnexes.push(db);
    return {
      ...d,
      transaction: knexMysqlTransactions(db, d.store),
      publish: (bus, input) => db.transaction((trx) => bus.publish(fromKnexMysql(trx), input)),
      ship: async (tx, orderId, attempt) => void (await tx.trx('shipments').insert({ order_id: orderId, attempt })),
    };
  },
  async close() {
    for (const db of myKnexes) await db.destroy();
    await my.close();
  },
});

// The example of docs/adapters/knex.md (In-process consumers), run as written there.
describe('docs/adapters/knex.md: in-process consumers', () => {
  const pool = new pgDriver.Pool({ connectionString: PG_URL, max: 3 });
  const schema = uniqueName('app');
  after(async () => {
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  });

  it("writes a handler's rows in its Knex transaction, with its inbox row", async () => {
    await pool.query(`CREATE SCHEMA "${schema}"; CREATE TABLE "${schema}".shipments (order_id text PRIMARY KEY, attempt int NOT NULL)`);
    const db = knex({ client: 'pg', connection: PG_URL, searchPath: [schema] });
    const store = createPostgresStore({ pool, schema });
    const inbox = createPostgresInbox({ pool, schema });
    for (const part of [store, inbox]) await part.migrate();

    const ship = defineConsumer<KnexPgTransaction, { orderId: string }>({
      name: 'ship',
      topics: ['order.placed'],
      handle: async ({ tx, payload, attempt }) => {
        // tx.trx is the handler's Knex transaction: this row commits with the inbox row, or neither does.
        await tx.trx('shipments').insert({ order_id: payload.orderId, attempt });
      },
    });
    const bus = createConsumers({ store, inbox, consumers: [ship], transaction: knexTransactions(db, store) });
    bus.start();

    // Publish in a Knex transaction of your own, with the order it announces.
    await db.transaction((trx) => bus.publish(fromKnex(trx), { topic: 'order.placed', payload: { orderId: 'o-1' } }));
    bus.relay.nudge(); // handle it now, not at the next poll

    await eventually(async () => (await pool.query(`SELECT 1 FROM "${schema}".shipments`)).rows.length === 1, 5000, 'the shipment');
    await bus.stop();
    await db.destroy();
    assertSectionTested(new URL('../../docs/adapters/knex.md', import.meta.url), 'In-process consumers', new URL(import.meta.url));
  });
});
