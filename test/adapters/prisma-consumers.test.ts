import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { PrismaMariaDb } from '@prisma/adapter-mariadb';
import { PrismaPg } from '@prisma/adapter-pg';
import { fromPrisma, fromPrismaMysql, prismaMysqlTransactions, prismaTransactions, type PrismaMysqlTransaction, type PrismaPgTransaction } from '../../src/adapters/prisma/index.js';
import { TxboxError } from '../../src/core/index.js';
import { PrismaClient as MysqlPrismaClient } from '../fixtures/prisma/mysql/client/client.js';
import { PrismaClient as PgPrismaClient } from '../fixtures/prisma/pg/client/client.js';
import pgDriver from 'pg';
import { createConsumers, defineConsumer } from '../../src/consumers/index.js';
import { createPostgresInbox, createPostgresStore } from '../../src/stores/postgres/index.js';
import { eventually, PG_URL, uniqueName } from '../support/env.js';
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

// The example of docs/adapters/prisma.md (In-process consumers), run as written there.
describe('docs/adapters/prisma.md: in-process consumers', () => {
  const pool = new pgDriver.Pool({ connectionString: PG_URL, max: 3 });
  const schema = uniqueName('app');
  after(async () => {
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  });

  it("writes a handler's models in its interactive transaction, with its inbox row", async () => {
    await pool.query(`CREATE SCHEMA "${schema}"; CREATE TABLE "${schema}".orders (id serial PRIMARY KEY, label text NOT NULL)`);
    const prisma = new PgPrismaClient({ adapter: new PrismaPg({ connectionString: PG_URL }, { schema }) });
    const store = createPostgresStore({ pool, schema });
    const inbox = createPostgresInbox({ pool, schema });
    for (const part of [store, inbox]) await part.migrate();

    type Tx = Parameters<Parameters<typeof prisma.$transaction>[0]>[0];
    const ship = defineConsumer<PrismaPgTransaction<Tx>, { label: string }>({
      name: 'ship',
      topics: ['order.placed'],
      handle: async ({ tx, payload }) => {
        // tx.prisma is the interactive transaction's client: this row commits with the inbox row, or neither does.
        await tx.prisma.order.create({ data: { label: `shipped: ${payload.label}` } });
      },
    });
    // Prisma ends an interactive transaction after 5 s by default: give it the consumers' timeoutMs (10 s).
    const bus = createConsumers({ store, inbox, consumers: [ship], transaction: prismaTransactions(prisma, store, { timeout: 10_000 }) });
    bus.start();

    // Publish in an interactive transaction of your own, with the order it announces.
    await prisma.$transaction((tx) => bus.publish(fromPrisma(tx), { topic: 'order.placed', payload: { label: 'two books' } }));
    bus.relay.nudge(); // handle it now, not at the next poll

    await eventually(async () => (await prisma.order.count()) === 1, 5000, 'the shipped order');
    await bus.stop();
    await prisma.$disconnect();
  });
});
