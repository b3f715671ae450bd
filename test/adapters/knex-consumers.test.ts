import knex, { type Knex } from 'knex';
import { fromKnex, fromKnexMysql, knexMysqlTransactions, knexTransactions, type KnexMysqlTransaction, type KnexPgTransaction } from '../../src/adapters/knex/index.js';
import { PG_URL } from '../support/env.js';
import { mysqlConsumerDatabases, pgConsumerDatabases } from './consumer-databases.js';
import { adapterConsumersContract } from './consumers-contract.js';

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
