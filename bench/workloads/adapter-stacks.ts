/**
 * Each ORM's transaction, two ways: the hand-written outbox INSERT in the ORM's own idiom
 * (`hand`), and `send()` through txbox's adapter (`txbox`). Both insert the same business row
 * first, the way that ORM inserts one. `close()` ends what the stack opened.
 */
import { MikroORM, type EntityManager as MikroEm } from '@mikro-orm/postgresql';
import { PrismaPg } from '@prisma/adapter-pg';
import { sql as drizzleSql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import knex from 'knex';
import { Kysely, PostgresDialect } from 'kysely';
import postgres from 'postgres';
import { DataSource } from 'typeorm';
import { fromDrizzle } from '../../src/adapters/drizzle/index.js';
import { fromKnex } from '../../src/adapters/knex/index.js';
import { fromKysely } from '../../src/adapters/kysely/index.js';
import { fromMikroOrm } from '../../src/adapters/mikro-orm/index.js';
import { fromPrisma } from '../../src/adapters/prisma/index.js';
import { fromTypeOrm } from '../../src/adapters/typeorm/index.js';
import { uuidv7, type MessageInput, type Outbox } from '../../src/core/index.js';
import { createOutbox } from '../../src/core/index.js';
import { createPostgresJsStore } from '../../src/stores/postgresjs/index.js';
import type { PgTransaction } from '../../src/stores/postgres/index.js';
import { PrismaClient } from '../../test/fixtures/prisma/pg/client/client.js';
import type { BenchDatabase } from '../lib/pg.js';

export type Variant = 'hand' | 'txbox';
export type Stack = Record<Variant, (i: number) => Promise<void>> & { close(): Promise<void> };
export interface StackContext {
  db: BenchDatabase;
  /** The outbox on the txbox table (`table`), written through each adapter. */
  outbox: Outbox<PgTransaction>;
  table: string;
  /** The table the hand-written INSERTs write: same DDL as `table`. */
  hand: string;
  connections: number;
}

export const message = (i: number): MessageInput & { key: string } => ({ topic: 'order.created', key: `customer-${i % 1000}`, payload: { order: i, amount: 42.5 } });
/** The hand-written row: what the store's INSERT writes for this message (five columns). */
export const handRow = (i: number) => {
  const m = message(i);
  return { id: uuidv7(), topic: m.topic, key: m.key, payload: Buffer.from(JSON.stringify(m.payload)), content_type: 'application/json' };
};
const order = (i: number) => ({ customer: `customer-${i % 1000}`, amount: 42.5 });
const handValues = (i: number) => Object.values(handRow(i));
const orderValues = (i: number) => Object.values(order(i));

export const STACKS: Record<string, (c: StackContext) => Promise<Stack>> = {
  async kysely(c) {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the bench's tables have no schema type
    const k = new Kysely<any>({ dialect: new PostgresDialect({ pool: c.db.pool(c.connections) }) });
    return {
      hand: (i) => k.transaction().execute(async (trx) => {
        await trx.insertInto('orders').values(order(i)).execute();
        await trx.insertInto(c.hand).values(handRow(i)).execute();
      }),
      txbox: (i) => k.transaction().execute(async (trx) => {
        await trx.insertInto('orders').values(order(i)).execute();
        await c.outbox.send(fromKysely(trx), message(i));
      }),
      close: () => k.destroy(),
    };
  },
  async knex(c) {
    const k = knex({ client: 'pg', connection: c.db.url, pool: { min: 0, max: c.connections } });
    return {
      hand: (i) => k.transaction(async (trx) => {
        await trx('orders').insert(order(i));
        await trx(c.hand).insert(handRow(i));
      }),
      txbox: (i) => k.transaction(async (trx) => {
        await trx('orders').insert(order(i));
        await c.outbox.send(fromKnex(trx), message(i));
      }),
      close: () => k.destroy(),
    };
  },
  async drizzle(c) {
    const own = c.db.pool(c.connections);
    const d = drizzle(own);
    type Tx = Parameters<Parameters<typeof d.transaction>[0]>[0];
    const insertOrder = (tx: Tx, i: number) => tx.execute(drizzleSql`INSERT INTO orders (customer, amount) VALUES (${order(i).customer}, ${order(i).amount})`);
    return {
      hand: (i) => d.transaction(async (tx) => {
        await insertOrder(tx, i);
        const r = handRow(i);
        await tx.execute(drizzleSql`INSERT INTO ${drizzleSql.identifier(c.hand)} (id, topic, key, payload, content_type) VALUES (${r.id}, ${r.topic}, ${r.key}, ${r.payload}, ${r.content_type})`);
      }),
      txbox: (i) => d.transaction(async (tx) => {
        await insertOrder(tx, i);
        await c.outbox.send(fromDrizzle(tx), message(i));
      }),
      close: () => c.db.close(own),
    };
  },
  async postgresjs(c) {
    const sql = postgres(c.db.url, { max: c.connections, onnotice: () => {} });
    const outbox = createOutbox({ store: createPostgresJsStore({ sql, table: c.table }) });
    return {
      hand: async (i) => void (await sql.begin(async (tx) => {
        await tx`INSERT INTO orders ${tx(order(i))}`;
        await tx`INSERT INTO ${tx(c.hand)} ${tx(handRow(i))}`;
      })),
      txbox: async (i) => void (await sql.begin(async (tx) => {
        await tx`INSERT INTO orders ${tx(order(i))}`;
        await outbox.send(tx, message(i));
      })),
      close: () => sql.end(),
    };
  },
  async typeorm(c) {
    const ds = new DataSource({ type: 'postgres', url: c.db.url, poolSize: c.connections });
    await ds.initialize();
    const orderSql = 'INSERT INTO orders (customer, amount) VALUES ($1, $2)';
    const handSql = `INSERT INTO ${c.hand} (id, topic, key, payload, content_type) VALUES ($1, $2, $3, $4, $5)`;
    return {
      hand: (i) => ds.transaction(async (manager) => {
        await manager.query(orderSql, orderValues(i));
        await manager.query(handSql, handValues(i));
      }),
      txbox: (i) => ds.transaction(async (manager) => {
        await manager.query(orderSql, orderValues(i));
        await c.outbox.send(fromTypeOrm(manager), message(i));
      }),
      close: () => ds.destroy(),
    };
  },
  async 'mikro-orm'(c) {
    const orm = await MikroORM.init({ clientUrl: c.db.url, pool: { min: 0, max: c.connections }, discovery: { warnWhenNoEntities: false } });
    // MikroORM's raw statements bind `?`, in order.
    const orderSql = 'INSERT INTO orders (customer, amount) VALUES (?, ?)';
    const handSql = `INSERT INTO ${c.hand} (id, topic, key, payload, content_type) VALUES (?, ?, ?, ?, ?)`;
    const run = (fn: (em: MikroEm) => Promise<void>) => orm.em.fork().transactional(fn);
    return {
      hand: (i) => run(async (em) => {
        await em.execute(orderSql, orderValues(i));
        await em.execute(handSql, handValues(i));
      }),
      txbox: (i) => run(async (em) => {
        await em.execute(orderSql, orderValues(i));
        await c.outbox.send(fromMikroOrm(em), message(i));
      }),
      close: () => orm.close(),
    };
  },
  async prisma(c) {
    const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: c.db.url, max: c.connections }) });
    const orderSql = 'INSERT INTO orders (customer, amount) VALUES ($1, $2)';
    const handSql = `INSERT INTO ${c.hand} (id, topic, key, payload, content_type) VALUES ($1::uuid, $2, $3, $4, $5)`;
    return {
      hand: async (i) => void (await prisma.$transaction(async (tx) => {
        await tx.$executeRawUnsafe(orderSql, ...orderValues(i));
        await tx.$executeRawUnsafe(handSql, ...handValues(i));
      })),
      txbox: async (i) => void (await prisma.$transaction(async (tx) => {
        await tx.$executeRawUnsafe(orderSql, ...orderValues(i));
        await c.outbox.send(fromPrisma(tx), message(i));
      })),
      close: () => prisma.$disconnect(),
    };
  },
};
