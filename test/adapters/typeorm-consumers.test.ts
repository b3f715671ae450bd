import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { DataSource, EntitySchema } from 'typeorm';
import { fromTypeOrm, fromTypeOrmMysql, typeOrmMysqlTransactions, typeOrmTransactions, type TypeOrmMysqlTransaction, type TypeOrmPgTransaction } from '../../src/adapters/typeorm/index.js';
import { createConsumers, defineConsumer } from '../../src/consumers/index.js';
import { createPostgresInbox, createPostgresStore } from '../../src/stores/postgres/index.js';
import { PG_URL, uniqueName } from '../support/env.js';
import { mysqlConsumerDatabases, pgConsumerDatabases } from './consumer-databases.js';
import { adapterConsumersContract } from './consumers-contract.js';

interface Shipment {
  orderId: string;
  attempt: number;
}

const suffix = uniqueName('typeorm_consumers');
const Shipments = new EntitySchema<Shipment>({
  name: 'Shipment',
  tableName: `shipments_${suffix}`,
  columns: { orderId: { type: 'text', primary: true, name: 'order_id' }, attempt: { type: 'int' } },
});
const pool = new pg.Pool({ connectionString: PG_URL, max: 4 });
const dataSource = new DataSource({ type: 'postgres', url: PG_URL, poolSize: 4, entities: [Shipments] });

after(async () => {
  await pool.query(`DROP TABLE IF EXISTS "outbox_${suffix}", "inbox_${suffix}", "shipments_${suffix}"`);
  if (dataSource.isInitialized) await dataSource.destroy();
  await pool.end();
});

describe('in-process consumers in TypeORM transactions (typeOrmTransactions)', () => {
  it("runs a handler in a TypeORM transaction: its entity writes commit with its inbox row, or roll back with a failure", async () => {
    await dataSource.initialize();
    await pool.query(`CREATE TABLE "shipments_${suffix}" (order_id text PRIMARY KEY, attempt int NOT NULL)`);
    const store = createPostgresStore({ pool, table: `outbox_${suffix}` });
    const inbox = createPostgresInbox({ pool, table: `inbox_${suffix}` });
    await store.migrate();
    await inbox.migrate();

    const ship = defineConsumer<TypeOrmPgTransaction, { orderId: string }>({
      name: 'ship',
      topics: ['order.placed'],
      maxAttempts: 3,
      backoff: { type: 'fixed', initialMs: 1 },
      async handle({ tx, payload, attempt }) {
        // The handler's transaction is TypeORM's: entities, repositories, the lot.
        await tx.manager.getRepository(Shipments).insert({ orderId: payload.orderId, attempt });
        if (attempt === 1) throw new Error('carrier down'); // rolls the insert back with the inbox row
      },
    });
    const bus = createConsumers({ store, inbox, consumers: [ship], transaction: typeOrmTransactions(dataSource, store) });

    await dataSource.transaction((manager) => bus.publish(fromTypeOrm(manager), { topic: 'order.placed', payload: { orderId: 'o-1' } }));
    const first = await bus.runOnce();
    assert.equal(first?.failed, 1, 'the first attempt failed');
    assert.deepEqual(await dataSource.getRepository(Shipments).find(), [], 'and its insert rolled back');

    // The retry is due after its 1 ms backoff.
    await new Promise((r) => setTimeout(r, 20));
    const second = await bus.runOnce();
    assert.equal(second?.delivered, 1);
    assert.deepEqual(await dataSource.getRepository(Shipments).find(), [{ orderId: 'o-1', attempt: 2 }]);
  });
});

// The consumer runner contract every stack passes, on both databases TypeORM supports here.
const Shipment = new EntitySchema<{ orderId: string; attempt: number }>({
  name: 'ContractShipment',
  tableName: 'shipments',
  columns: { orderId: { type: String, primary: true, name: 'order_id' }, attempt: { type: Number } },
});
const dataSources: DataSource[] = [];
const pgDbs = pgConsumerDatabases();
adapterConsumersContract<TypeOrmPgTransaction>({
  name: 'TypeORM transactions on PostgreSQL (typeOrmTransactions)',
  async create() {
    const d = await pgDbs.create();
    const ds = await new DataSource({ type: 'postgres', url: PG_URL, schema: d.schema, poolSize: 2, entities: [Shipment] }).initialize();
    dataSources.push(ds);
    return {
      ...d,
      transaction: typeOrmTransactions(ds, d.store),
      publish: (bus, input) => ds.transaction((manager) => bus.publish(fromTypeOrm(manager), input)),
      ship: async (tx, orderId, attempt) => void (await tx.manager.getRepository(Shipment).insert({ orderId, attempt })),
    };
  },
  async close() {
    for (const ds of dataSources.splice(0)) await ds.destroy();
    await pgDbs.close();
  },
});

const myDbs = mysqlConsumerDatabases();
const myDataSources: DataSource[] = [];
adapterConsumersContract<TypeOrmMysqlTransaction>({
  name: 'TypeORM transactions on MariaDB (typeOrmMysqlTransactions)',
  async create() {
    const d = await myDbs.create();
    const ds = await new DataSource({ type: 'mariadb', url: d.url, poolSize: 2, entities: [Shipment] }).initialize();
    myDataSources.push(ds);
    return {
      ...d,
      transaction: typeOrmMysqlTransactions(ds, d.store),
      publish: (bus, input) => ds.transaction((manager) => bus.publish(fromTypeOrmMysql(manager), input)),
      ship: async (tx, orderId, attempt) => void (await tx.manager.getRepository(Shipment).insert({ orderId, attempt })),
    };
  },
  async close() {
    for (const ds of myDataSources) await ds.destroy();
    await myDbs.close();
  },
});
