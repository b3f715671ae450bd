import { EntitySchema } from '@mikro-orm/core';
import { MikroORM as MysqlOrm } from '@mikro-orm/mysql';
import { MikroORM as PgOrm } from '@mikro-orm/postgresql';
import { fromMikroOrm, fromMikroOrmMysql, mikroOrmMysqlTransactions, mikroOrmTransactions, type MikroOrmMysqlTransaction, type MikroOrmPgTransaction } from '../../src/adapters/mikro-orm/index.js';
import { PG_URL } from '../support/env.js';
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
