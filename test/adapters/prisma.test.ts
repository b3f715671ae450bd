import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { PrismaMariaDb } from '@prisma/adapter-mariadb';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { fromPrisma, fromPrismaMysql, type PrismaTransactionClient } from '../../src/adapters/prisma/index.js';
import { TxboxError, createOutbox } from '../../src/core/index.js';
import { createMysqlStore } from '../../src/stores/mysql/index.js';
import { createPostgresStore } from '../../src/stores/postgres/index.js';
import { PrismaClient as MysqlPrismaClient } from '../fixtures/prisma/mysql/client/client.js';
import { PrismaClient as PgPrismaClient } from '../fixtures/prisma/pg/client/client.js';
import { MYSQL_URL, PG_URL, uniqueName } from '../support/env.js';
import { mysqlTestDatabases } from '../support/mysql.js';
import { adapterContract, type AdapterUnderTest } from './contract.js';

const rollback = Symbol('rollback');

interface Transacting {
  $transaction<R>(fn: (tx: PrismaTransactionClient) => Promise<R>): Promise<R>;
}

/** An interactive transaction, committed or rolled back as the contract asks. */
async function inTransaction<T>(prisma: Transacting, commit: boolean, fn: (tx: PrismaTransactionClient) => T | Promise<T>): Promise<T> {
  let result!: T;
  try {
    await prisma.$transaction(async (tx) => {
      result = await fn(tx);
      if (!commit) throw rollback;
    });
  } catch (error) {
    if (error !== rollback) throw error;
  }
  return result;
}

/** What a Prisma user may hold that is no transaction, each to be refused by the adapter. */
async function wrongHandles(prisma: Transacting & object, adapt: (tx: PrismaTransactionClient) => unknown) {
  let ended!: PrismaTransactionClient;
  await prisma.$transaction(async (tx) => {
    ended = tx;
  });
  return [
    { what: 'the PrismaClient', handle: () => adapt(prisma as unknown as PrismaTransactionClient) },
    { what: 'a tx client kept after its transaction committed', handle: () => adapt(ended) },
  ];
}

// PostgreSQL: Prisma (adapter-pg) for the business side, a pg pool for the relay side.
const pool = new pg.Pool({ connectionString: PG_URL, max: 4 });
const pgPrisma = new PgPrismaClient({ adapter: new PrismaPg({ connectionString: PG_URL, max: 4 }) });
const pgTables: string[] = [];

adapterContract({
  name: 'Prisma 7 on PostgreSQL (fromPrisma)',
  async create(): Promise<AdapterUnderTest> {
    const table = uniqueName('adapter_prisma');
    pgTables.push(table);
    const store = createPostgresStore({ pool, table });
    await store.migrate();
    const wrong = await wrongHandles(pgPrisma, fromPrisma);
    return {
      store,
      transaction: (fn, commit) => inTransaction(pgPrisma, commit, (tx) => fn(fromPrisma(tx))),
      notTransactions: () => wrong,
    };
  },
  async close() {},
});
after(async () => {
  for (const table of pgTables) await pool.query(`DROP TABLE IF EXISTS ${table}`);
  await pgPrisma.$disconnect();
  await pool.end();
});

// MariaDB: one database per test, Prisma (adapter-mariadb) and the store's mysql2 pool both on it.
const dbs = mysqlTestDatabases();
const mysqlClients: MysqlPrismaClient[] = [];

adapterContract({
  name: 'Prisma 7 on MariaDB (fromPrismaMysql)',
  async create(): Promise<AdapterUnderTest> {
    const { name, pool } = await dbs.create();
    const url = new URL(MYSQL_URL);
    url.protocol = 'mariadb:';
    url.pathname = `/${name}`;
    const prisma = new MysqlPrismaClient({ adapter: new PrismaMariaDb(url.toString()) });
    mysqlClients.push(prisma);
    const store = createMysqlStore({ pool });
    await store.migrate();
    const wrong = await wrongHandles(prisma, fromPrismaMysql);
    return {
      store,
      transaction: (fn, commit) => inTransaction(prisma, commit, (tx) => fn(fromPrismaMysql(tx))),
      notTransactions: () => wrong,
    };
  },
  async close() {},
});
after(async () => {
  for (const prisma of mysqlClients) await prisma.$disconnect();
  await dbs.dropAll();
});

describe('Prisma adapter', () => {
  it('sends with notify on (a void column Prisma cannot decode is never answered) and wakes a LISTEN', async () => {
    const table = uniqueName('adapter_prisma');
    pgTables.push(table);
    const channel = uniqueName('wake');
    const store = createPostgresStore({ pool, table, notify: true, channel });
    await store.migrate();
    const listener = await pool.connect();
    try {
      const woke = new Promise<string>((resolve) => listener.on('notification', (n) => resolve(n.channel)));
      await listener.query(`LISTEN ${channel}`);
      await pgPrisma.$transaction((tx) => createOutbox({ store }).send(fromPrisma(tx), { topic: 't', payload: 1 }));
      assert.equal(await woke, channel);
    } finally {
      await listener.query(`UNLISTEN ${channel}`);
      listener.release();
    }
  });

  it('keeps the stores\' typed errors: a duplicate id and a missing table', async () => {
    const table = uniqueName('adapter_prisma');
    pgTables.push(table);
    const store = createPostgresStore({ pool, table });
    const outbox = createOutbox({ store });
    await assert.rejects(
      pgPrisma.$transaction((tx) => outbox.send(fromPrisma(tx), { topic: 't', payload: 1 })),
      (e: unknown) => e instanceof TxboxError && e.code === 'SCHEMA_MISSING',
    );
    await store.migrate();
    const { ids } = await pgPrisma.$transaction((tx) => outbox.send(fromPrisma(tx), { topic: 't', payload: 1 }));
    await assert.rejects(
      pgPrisma.$transaction((tx) => outbox.send(fromPrisma(tx), { id: ids[0]!, topic: 't', payload: 2 })),
      (e: unknown) => e instanceof TxboxError && e.code === 'DUPLICATE_ID',
    );

    const { pool: mysqlPool, name } = await dbs.create();
    const url = new URL(MYSQL_URL);
    url.protocol = 'mariadb:';
    url.pathname = `/${name}`;
    const prisma = new MysqlPrismaClient({ adapter: new PrismaMariaDb(url.toString()) });
    mysqlClients.push(prisma);
    const mysqlStore = createMysqlStore({ pool: mysqlPool });
    const mysqlOutbox = createOutbox({ store: mysqlStore });
    await assert.rejects(
      prisma.$transaction((tx) => mysqlOutbox.send(fromPrismaMysql(tx), { topic: 't', payload: 1 })),
      (e: unknown) => e instanceof TxboxError && e.code === 'SCHEMA_MISSING',
    );
    await mysqlStore.migrate();
    const sent = await prisma.$transaction((tx) => mysqlOutbox.send(fromPrismaMysql(tx), { topic: 't', payload: 1 }));
    await assert.rejects(
      prisma.$transaction((tx) => mysqlOutbox.send(fromPrismaMysql(tx), { id: sent.ids[0]!, topic: 't', payload: 2 })),
      (e: unknown) => e instanceof TxboxError && e.code === 'DUPLICATE_ID',
    );
  });

  it('names what it was given and what it expects', async () => {
    const typeChecks = () => {
      // @ts-expect-error a PrismaClient outside $transaction is no transaction client
      fromPrisma(pgPrisma);
    };
    void typeChecks;
    assert.throws(
      () => fromPrisma(pgPrisma as unknown as PrismaTransactionClient),
      (e: unknown) => e instanceof TxboxError && e.code === 'INVALID_ARGUMENT' && e.field === 'tx' && /got a PrismaClient outside \$transaction/.test(e.message),
    );
    await pgPrisma.$transaction(async (tx) => {
      assert.throws(() => fromPrismaMysql(tx), (e: unknown) => e instanceof TxboxError && /on "postgresql" \(see fromPrisma\)/.test(e.message));
    });
  });
});
