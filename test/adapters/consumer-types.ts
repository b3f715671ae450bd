// Compiled by `tsc --noEmit` (npm test), never run: each stack's runner gives handlers that
// stack's own typed transaction, with no cast, and a handler or a handle of another stack does
// not compile. Each @ts-expect-error fails the type check if that refusal ever goes away.
import type { MikroORM } from '@mikro-orm/postgresql';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import type { MySql2Database } from 'drizzle-orm/mysql2';
import { integer, pgTable, text } from 'drizzle-orm/pg-core';
import type { Knex } from 'knex';
import type { Kysely } from 'kysely';
import type pg from 'pg';
import { drizzleTransactions, fromDrizzle, type DrizzlePgTransaction, type DrizzleTransactionOf } from '../../src/adapters/drizzle/index.js';
import { knexTransactions, type KnexPgTransaction } from '../../src/adapters/knex/index.js';
import { fromKysely, kyselyTransactions, type KyselyPgTransaction } from '../../src/adapters/kysely/index.js';
import { mikroOrmTransactions, type MikroOrmPgTransaction } from '../../src/adapters/mikro-orm/index.js';
import { prismaTransactions, type PrismaPgTransaction } from '../../src/adapters/prisma/index.js';
import { createConsumers, defineConsumer } from '../../src/consumers/index.js';
import { createPostgresInbox, createPostgresStore } from '../../src/stores/postgres/index.js';
import type { PrismaClient } from '../fixtures/prisma/pg/client/client.js';

interface DB {
  shipments: { order_id: string; attempt: number };
}
const shipments = pgTable('shipments', { order_id: text('order_id').primaryKey(), attempt: integer('attempt').notNull() });
type PrismaTx = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];
type Payload = { orderId: string };

const onKysely = defineConsumer<KyselyPgTransaction<DB>, Payload>({
  name: 'kysely',
  topics: ['t'],
  handle: async ({ tx, payload }) => {
    await tx.trx.insertInto('shipments').values({ order_id: payload.orderId, attempt: 1 }).execute();
    // @ts-expect-error the Kysely transaction is typed by the database's interface
    await tx.trx.insertInto('no_such_table').values({}).execute();
  },
});
const onKnex = defineConsumer<KnexPgTransaction, Payload>({ name: 'knex', topics: ['t'], handle: async ({ tx, payload }) => void (await tx.trx('shipments').insert({ order_id: payload.orderId })) });
const onDrizzle = defineConsumer<DrizzlePgTransaction<DrizzleTransactionOf<NodePgDatabase>>, Payload>({
  name: 'drizzle',
  topics: ['t'],
  handle: async ({ tx, payload }) => void (await tx.trx.insert(shipments).values({ order_id: payload.orderId, attempt: 1 })),
});
const onMikroOrm = defineConsumer<MikroOrmPgTransaction, Payload>({ name: 'mikro', topics: ['t'], handle: async ({ tx }) => void (await tx.em.flush()) });
const onPrisma = defineConsumer<PrismaPgTransaction<PrismaTx>, Payload>({
  name: 'prisma',
  topics: ['t'],
  handle: async ({ tx, payload }) => {
    await tx.prisma.order.create({ data: { label: payload.orderId } });
    // @ts-expect-error the Prisma transaction client has the generated models, and only them
    await tx.prisma.shipment.create({ data: {} });
  },
});

export async function runners(pool: pg.Pool, client: pg.PoolClient, kysely: Kysely<DB>, knex: Knex, drizzle: NodePgDatabase, drizzleMysql: MySql2Database, orm: MikroORM, prisma: PrismaClient) {
  const store = createPostgresStore({ pool });
  const inbox = createPostgresInbox({ pool });
  const bus = createConsumers({ store, inbox, consumers: [onKysely], transaction: kyselyTransactions(kysely, store) });
  await kysely.transaction().execute((trx) => bus.publish(fromKysely(trx), { topic: 't', payload: { orderId: 'o' } }));
  // @ts-expect-error this bus's handlers get Kysely transactions: a pg client is not one
  await bus.publish(client, { topic: 't', payload: {} });
  createConsumers({ store, inbox, consumers: [onKnex], transaction: knexTransactions(knex, store) });
  createConsumers({ store, inbox, consumers: [onDrizzle], transaction: drizzleTransactions(drizzle, store) });
  await drizzle.transaction((tx) => createConsumers({ store, inbox, consumers: [onDrizzle], transaction: drizzleTransactions(drizzle) }).publish(fromDrizzle(tx), { topic: 't', payload: {} }));
  createConsumers({ store, inbox, consumers: [onMikroOrm], transaction: mikroOrmTransactions(orm.em, store) });
  createConsumers({ store, inbox, consumers: [onPrisma], transaction: prismaTransactions(prisma, store) });

  // @ts-expect-error a Kysely handler in Knex transactions
  createConsumers({ store, inbox, consumers: [onKysely], transaction: knexTransactions(knex, store) });
  // @ts-expect-error a Knex handler in the store's own transactions (a pg.PoolClient)
  createConsumers({ store, inbox, consumers: [onKnex] });
  // @ts-expect-error a Drizzle-on-PostgreSQL handler in Drizzle-on-MySQL transactions
  createConsumers({ store, inbox, consumers: [onDrizzle], transaction: drizzleTransactions(drizzleMysql, store) });
  // @ts-expect-error a Prisma handler in MikroORM transactions
  createConsumers({ store, inbox, consumers: [onPrisma], transaction: mikroOrmTransactions(orm.em, store) });
  // @ts-expect-error a MikroORM handler in Prisma transactions
  createConsumers({ store, inbox, consumers: [onMikroOrm], transaction: prismaTransactions(prisma, store) });
}
