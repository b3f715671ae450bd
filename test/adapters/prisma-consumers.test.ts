import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PrismaMariaDb } from '@prisma/adapter-mariadb';
import { PrismaPg } from '@prisma/adapter-pg';
import { fromPrisma, fromPrismaMysql, prismaMysqlTransactions, prismaTransactions, type PrismaMysqlTransaction, type PrismaPgTransaction } from '../../src/adapters/prisma/index.js';
import { TxboxError } from '../../src/core/index.js';
import { PrismaClient as MysqlPrismaClient } from '../fixtures/prisma/mysql/client/client.js';
import { PrismaClient as PgPrismaClient } from '../fixtures/prisma/pg/client/client.js';
import { PG_URL } from '../support/env.js';
import { mysqlConsumerDatabases, pgConsumerDatabases } from './consumer-databases.js';
import { adapterConsumersContract } from './consumers-contract.js';

// The fixtures' one model is Order (table "orders", id and label): a shipment is the order
// labelled `<orderId>#<attempt>`.
const asShipments = (orders: { label: string }[]) =>
  orders.map((o) => ({ orderId: o.label.split('#')[0]!, attempt: Number(o.label.split('#')[1]) })).sort((a, b) => a.orderId.localeCompare(b.orderId));

type PgTx = Parameters<Parameters<PgPrismaClient['$transaction']>[0]>[0];
type MysqlTx = Parameters<Parameters<MysqlPrismaClient['$transaction']>[0]>[0];

const clients: { $disconnect(): Promise<void> }[] = [];
const pg = pgConsumerDatabases();
adapterConsumersContract<PrismaPgTransaction<PgTx>>({
  name: 'Prisma interactive transactions on PostgreSQL (prismaTransactions)',
  async create() {
    const d = await pg.create();
    await pg.pool.query(`CREATE TABLE "${d.schema}".orders (id serial PRIMARY KEY, label text NOT NULL)`);
    const prisma = new PgPrismaClient({ adapter: new PrismaPg({ connectionString: PG_URL, max: 2 }, { schema: d.schema }) });
    clients.push(prisma);
    return {
      ...d,
      transaction: prismaTransactions(prisma, d.store, { timeout: 10_000 }),
      publish: (bus, input) => prisma.$transaction((tx) => bus.publish(fromPrisma(tx), input)),
      // The handler's transaction is Prisma's: the generated client, models and all.
      ship: async (tx, orderId, attempt) => void (await tx.prisma.order.create({ data: { label: `${orderId}#${attempt}` } })),
      shipments: async () => asShipments(await prisma.order.findMany()),
    };
  },
  async close() {
    for (const prisma of clients.splice(0)) await prisma.$disconnect();
    await pg.close();
  },
});

const my = mysqlConsumerDatabases();
const myClients: { $disconnect(): Promise<void> }[] = [];
adapterConsumersContract<PrismaMysqlTransaction<MysqlTx>>({
  name: 'Prisma interactive transactions on MariaDB (prismaMysqlTransactions)',
  async create() {
    const d = await my.create();
    await d.pool.query('CREATE TABLE orders (id INT AUTO_INCREMENT PRIMARY KEY, label VARCHAR(191) NOT NULL) ENGINE=InnoDB');
    const url = new URL(d.url);
    url.protocol = 'mariadb:';
    const prisma = new MysqlPrismaClient({ adapter: new PrismaMariaDb(url.toString()) });
    myClients.push(prisma);
    return {
      ...d,
      transaction: prismaMysqlTransactions(prisma, d.store, { timeout: 10_000 }),
      publish: (bus, input) => prisma.$transaction((tx) => bus.publish(fromPrismaMysql(tx), input)),
      ship: async (tx, orderId, attempt) => void (await tx.prisma.order.create({ data: { label: `${orderId}#${attempt}` } })),
      shipments: async () => asShipments(await prisma.order.findMany()),
    };
  },
  async close() {
    for (const prisma of myClients) await prisma.$disconnect();
    await my.close();
  },
});

describe('prismaTransactions', () => {
  it('refuses what is no PrismaClient', () => {
    assert.throws(() => prismaTransactions({} as never), (e: unknown) => e instanceof TxboxError && e.code === 'INVALID_ARGUMENT' && e.field === 'prisma');
  });
});
