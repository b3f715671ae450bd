import { after, describe, it } from 'node:test';
import { EntitySchema } from '@mikro-orm/core';
import { MikroORM as MysqlOrm } from '@mikro-orm/mysql';
import { MikroORM as PgOrm } from '@mikro-orm/postgresql';
import { fromMikroOrm, fromMikroOrmMysql, mikroOrmMysqlTransactions, mikroOrmTransactions, type MikroOrmMysqlTransaction, type MikroOrmPgTransaction } from '../../src/adapters/mikro-orm/index.js';
import pgDriver from 'pg';
import { createConsumers, defineConsumer } from '../../src/consumers/index.js';
import { createPostgresInbox, createPostgresStore } from '../../src/stores/postgres/index.js';
import { eventually, PG_URL, uniqueName } from '../support/env.js';
import { mysqlConsumerDatabases, pgConsumerDatabases } from './consumer-databases.js';
import { adapterConsumersContract } from './consumers-contract.js';

interface Shipment {
  orderId: string;
  attempt: number;
}
const Shipment = new EntitySchema<Shipment>({
  name: 'Shipment',
  tableName: 'shipments',
  properties: { orderId: { type: 'string', primary: true, fieldName: 'order_id' }, attempt: { type: 'number' } },
});

const orms: { close(): Promise<void> }[] = [];
const pg = pgConsumerDatabases();
adapterConsumersContract<MikroOrmPgTransaction>({
  name: 'MikroORM transactions on PostgreSQL (mikroOrmTransactions)',
  async create() {
    const d = await pg.create();
    const orm = await PgOrm.init({ clientUrl: PG_URL, schema: d.schema, entities: [Shipment], pool: { min: 0, max: 2 }, allowGlobalContext: false });
    orms.push(orm);
    return {
      ...d,
      transaction: mikroOrmTransactions(orm.em, d.store),
      publish: (bus, input) => orm.em.transactional((em) => bus.publish(fromMikroOrm(em), input)),
      // The handler's transaction is MikroORM's: an entity, flushed in it.
      ship: async (tx, orderId, attempt) => {
        tx.em.create(Shipment, { orderId, attempt });
        await tx.em.flush();
      },
    };
  },
  async close() {
    for (const orm of orms.splice(0)) await orm.close();
    await pg.close();
  },
});

const my = mysqlConsumerDatabases();
const myOrms: { close(): Promise<void> }[] = [];
adapterConsumersContract<MikroOrmMysqlTransaction>({
  name: 'MikroORM transactions on MariaDB (mikroOrmMysqlTransactions)',
  async create() {
    const d = await my.create();
    const orm = await MysqlOrm.init({ clientUrl: d.url, entities: [Shipment], pool: { min: 0, max: 2 }, allowGlobalContext: false });
    myOrms.push(orm);
    return {
      ...d,
      transaction: mikroOrmMysqlTransactions(orm.em, d.store),
      publish: (bus, input) => orm.em.transactional((em) => bus.publish(fromMikroOrmMysql(em), input)),
      ship: async (tx, orderId, attempt) => {
        tx.em.create(Shipment, { orderId, attempt });
        await tx.em.flush();
      },
    };
  },
  async close() {
    for (const orm of myOrms) await orm.close();
    await my.close();
  },
});

// The example of docs/adapters/mikro-orm.md (In-process consumers), run as written there.
describe('docs/adapters/mikro-orm.md: in-process consumers', () => {
  const pool = new pgDriver.Pool({ connectionString: PG_URL, max: 3 });
  const schema = uniqueName('app');
  after(async () => {
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  });

  it("flushes a handler's entities in its MikroORM transaction, with its inbox row", async () => {
    await pool.query(`CREATE SCHEMA "${schema}"; CREATE TABLE "${schema}".shipments (order_id text PRIMARY KEY, attempt int NOT NULL)`);
    const orm = await PgOrm.init({ clientUrl: PG_URL, schema, entities: [Shipment] });
    const store = createPostgresStore({ pool, schema });
    const inbox = createPostgresInbox({ pool, schema });
    for (const part of [store, inbox]) await part.migrate();

    const ship = defineConsumer<MikroOrmPgTransaction, { orderId: string }>({
      name: 'ship',
      topics: ['order.placed'],
      handle: async ({ tx, payload, attempt }) => {
        // tx.em is the transaction's EntityManager: the entity is flushed in it, with the inbox row.
        tx.em.create(Shipment, { orderId: payload.orderId, attempt });
      },
    });
    const bus = createConsumers({ store, inbox, consumers: [ship], transaction: mikroOrmTransactions(orm.em, store) });
    bus.start();

    // Publish in a MikroORM transaction of your own, with the order it announces.
    await orm.em.transactional((em) => bus.publish(fromMikroOrm(em), { topic: 'order.placed', payload: { orderId: 'o-1' } }));
    bus.relay.nudge(); // handle it now, not at the next poll

    await eventually(async () => (await pool.query(`SELECT 1 FROM "${schema}".shipments`)).rows.length === 1, 5000, 'the shipment');
    await bus.stop();
    await orm.close();
  });
});
