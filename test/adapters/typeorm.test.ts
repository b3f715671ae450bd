import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { DataSource, type EntityManager } from 'typeorm';
import { fromTypeOrm, fromTypeOrmMysql } from '../../src/adapters/typeorm/index.js';
import { publishDebounced } from '../../src/consumers/debounce.js';
import { createOutbox, TxboxError } from '../../src/core/index.js';
import { createMysqlStore } from '../../src/stores/mysql/index.js';
import { createPostgresStore, type PgTransactionQuery } from '../../src/stores/postgres/index.js';
import { MYSQL_URL, PG_URL, uniqueName } from '../support/env.js';
import { mysqlTestDatabases } from '../support/mysql.js';
import { adapterContract, type AdapterUnderTest } from './contract.js';

const rollback = Symbol('rollback');

/** `dataSource.transaction`, committed or rolled back as the contract asks. */
async function inTransaction<T>(dataSource: DataSource, commit: boolean, fn: (manager: EntityManager) => T | Promise<T>): Promise<T> {
  let result!: T;
  try {
    await dataSource.transaction(async (manager) => {
      result = await fn(manager);
      if (!commit) throw rollback;
    });
  } catch (error) {
    if (error !== rollback) throw error;
  }
  return result;
}

/** What a TypeORM user may hold that is no transaction, each to be refused by the adapter. */
async function wrongHandles(dataSource: DataSource, adapt: (m: EntityManager) => unknown) {
  let ended!: EntityManager;
  await dataSource.transaction(async (manager) => {
    ended = manager;
  });
  return [
    { what: 'the DataSource', handle: () => adapt(dataSource as unknown as EntityManager) },
    { what: 'dataSource.manager', handle: () => adapt(dataSource.manager) },
    { what: 'a manager kept after its transaction committed', handle: () => adapt(ended) },
  ];
}

// PostgreSQL: TypeORM for the business side, a pg pool for the relay side.
const pool = new pg.Pool({ connectionString: PG_URL, max: 4 });
const pgSource = new DataSource({ type: 'postgres', url: PG_URL, poolSize: 4 });
const pgTables: string[] = [];

async function pgStore() {
  if (!pgSource.isInitialized) await pgSource.initialize();
  const table = uniqueName('adapter_typeorm');
  pgTables.push(table);
  const store = createPostgresStore({ pool, table });
  await store.migrate();
  return store;
}

adapterContract({
  name: 'TypeORM on PostgreSQL (fromTypeOrm)',
  async create(): Promise<AdapterUnderTest> {
    const store = await pgStore();
    const wrong = await wrongHandles(pgSource, fromTypeOrm);
    return {
      store,
      transaction: (fn, commit) => inTransaction(pgSource, commit, (manager) => fn(fromTypeOrm(manager))),
      notTransactions: () => wrong,
    };
  },
  // The tests below share the pool and data source: they are closed once, after everything.
  async close() {},
});
after(async () => {
  for (const table of pgTables) await pool.query(`DROP TABLE IF EXISTS ${table}`);
  await pgSource.destroy();
  await pool.end();
});

// MariaDB / MySQL: one database per test, TypeORM and the store's mysql2 pool both on it.
const dbs = mysqlTestDatabases();
const mysqlSources: DataSource[] = [];

adapterContract({
  name: 'TypeORM on MariaDB (fromTypeOrmMysql)',
  async create(): Promise<AdapterUnderTest> {
    const { name, pool } = await dbs.create();
    const url = new URL(MYSQL_URL);
    url.pathname = `/${name}`;
    const dataSource = await new DataSource({ type: 'mariadb', url: url.toString(), poolSize: 4 }).initialize();
    mysqlSources.push(dataSource);
    const store = createMysqlStore({ pool });
    await store.migrate();
    const wrong = await wrongHandles(dataSource, fromTypeOrmMysql);
    return {
      store,
      transaction: (fn, commit) => inTransaction(dataSource, commit, (manager) => fn(fromTypeOrmMysql(manager))),
      notTransactions: () => wrong,
    };
  },
  async close() {
    for (const s of mysqlSources) await s.destroy();
    await dbs.dropAll();
  },
});

describe('TypeORM adapter', () => {
  it('is needed: the naive glue over manager.query fails debounce, the adapter does not', async () => {
    const store = await pgStore();
    // What a user writes without the adapter: UPDATE answers [rows, count], so rows.length is 2.
    const naive = (manager: EntityManager): PgTransactionQuery => ({
      inTransaction: true,
      query: (text, values) => manager.query(text, values).then((rows) => ({ rows })),
    });
    const debounceTwice = async (adapt: (m: EntityManager) => PgTransactionQuery) => {
      const dedupKey = uniqueName('doc');
      for (const n of [1, 2]) await inTransaction(pgSource, true, (m) => publishDebounced(store, adapt(m), { topic: 't', payload: n, dedupKey, delayMs: 5000 }));
    };
    await assert.rejects(debounceTwice(naive), (e: unknown) => e instanceof TxboxError && e.code === 'DUPLICATE_ID');
    await debounceTwice(fromTypeOrm);
  });

  it('names what it was given and what it expects', async () => {
    const store = await pgStore();
    const typeChecks = () => {
      // @ts-expect-error a DataSource is no EntityManager
      fromTypeOrm(pgSource);
      // @ts-expect-error the types refuse a pool where a transaction belongs
      void createOutbox({ store }).send(pool, { topic: 't', payload: 1 });
    };
    void typeChecks;
    assert.throws(
      () => fromTypeOrm(pgSource.manager),
      (e: unknown) => e instanceof TxboxError && e.code === 'INVALID_ARGUMENT' && e.field === 'tx' && /no transaction of its own \(like dataSource\.manager\)/.test(e.message),
    );
    assert.throws(
      () => fromTypeOrm(pgSource as unknown as EntityManager),
      (e: unknown) => e instanceof TxboxError && e.field === 'tx' && /got a DataSource/.test(e.message),
    );
    await pgSource.transaction(async (manager) => {
      assert.throws(() => fromTypeOrmMysql(manager), (e: unknown) => e instanceof TxboxError && /of type "postgres" \(see fromTypeOrm\)/.test(e.message));
    });
  });
});
