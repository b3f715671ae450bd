import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { EntityManager } from '@mikro-orm/core';
import { MikroORM as MysqlOrm } from '@mikro-orm/mysql';
import { MikroORM as PgOrm } from '@mikro-orm/postgresql';
import pg from 'pg';
import { fromMikroOrm, fromMikroOrmMysql } from '../../src/adapters/mikro-orm/index.js';
import { TxboxError } from '../../src/core/index.js';
import { createMysqlStore } from '../../src/stores/mysql/index.js';
import { createPostgresStore } from '../../src/stores/postgres/index.js';
import { MYSQL_URL, PG_URL, uniqueName } from '../support/env.js';
import { mysqlTestDatabases } from '../support/mysql.js';
import { adapterContract, type AdapterUnderTest } from './contract.js';

const rollback = Symbol('rollback');
// No entities: the contract writes only messages (the docs example has a business entity).
const quiet = { discovery: { warnWhenNoEntities: false }, allowGlobalContext: false } as const;

/** `em.transactional`, committed or rolled back as the contract asks. */
async function inTransaction<T>(orm: { em: EntityManager }, commit: boolean, fn: (em: EntityManager) => T | Promise<T>): Promise<T> {
  let result!: T;
  try {
    await orm.em.transactional(async (em) => {
      result = await fn(em);
      if (!commit) throw rollback;
    });
  } catch (error) {
    if (error !== rollback) throw error;
  }
  return result;
}

/** What a MikroORM user may hold that is no transaction, each to be refused by the adapter. */
async function wrongHandles(orm: { em: EntityManager }, adapt: (em: EntityManager) => unknown) {
  let ended!: EntityManager;
  await orm.em.transactional(async (em) => {
    ended = em;
  });
  return [
    { what: 'the root orm.em', handle: () => adapt(orm.em) },
    { what: 'a fork outside a transaction', handle: () => adapt(orm.em.fork()) },
    { what: 'an em kept after its transaction committed', handle: () => adapt(ended) },
    { what: 'the MikroORM instance', handle: () => adapt(orm as unknown as EntityManager) },
  ];
}

// PostgreSQL: MikroORM for the business side, a pg pool for the relay side.
const pool = new pg.Pool({ connectionString: PG_URL, max: 4 });
const pgOrm = PgOrm.init({ clientUrl: PG_URL, pool: { min: 0, max: 4 }, ...quiet });
const pgTables: string[] = [];

adapterContract({
  name: 'MikroORM on PostgreSQL (fromMikroOrm)',
  async create(): Promise<AdapterUnderTest> {
    const orm = await pgOrm;
    const table = uniqueName('adapter_mikro');
    pgTables.push(table);
    const store = createPostgresStore({ pool, table });
    await store.migrate();
    const wrong = await wrongHandles(orm, fromMikroOrm);
    return {
      store,
      transaction: (fn, commit) => inTransaction(orm, commit, (em) => fn(fromMikroOrm(em))),
      notTransactions: () => wrong,
    };
  },
  async close() {},
});
after(async () => {
  for (const table of pgTables) await pool.query(`DROP TABLE IF EXISTS ${table}`);
  await (await pgOrm).close();
  await pool.end();
});

// MariaDB / MySQL: one database per test, MikroORM and the store's mysql2 pool both on it.
const dbs = mysqlTestDatabases();
const mysqlOrms: MysqlOrm[] = [];

adapterContract({
  name: 'MikroORM on MariaDB (fromMikroOrmMysql)',
  async create(): Promise<AdapterUnderTest> {
    const { name, pool } = await dbs.create();
    const orm = await MysqlOrm.init({ clientUrl: MYSQL_URL, dbName: name, pool: { min: 0, max: 4 }, ...quiet });
    mysqlOrms.push(orm);
    const store = createMysqlStore({ pool });
    await store.migrate();
    const wrong = await wrongHandles(orm, fromMikroOrmMysql);
    return {
      store,
      transaction: (fn, commit) => inTransaction(orm, commit, (em) => fn(fromMikroOrmMysql(em))),
      notTransactions: () => wrong,
    };
  },
  async close() {
    for (const orm of mysqlOrms) await orm.close();
    await dbs.dropAll();
  },
});

describe('MikroORM adapter', () => {
  it('names what it was given and what it expects', async () => {
    const orm = await pgOrm;
    const typeChecks = () => {
      // @ts-expect-error the MikroORM instance is no EntityManager
      fromMikroOrm(orm);
    };
    void typeChecks;
    assert.throws(
      () => fromMikroOrm(orm.em),
      (e: unknown) => e instanceof TxboxError && e.code === 'INVALID_ARGUMENT' && e.field === 'tx' && /got a SqlEntityManager with none open \(like the root orm\.em/.test(e.message),
    );
    await orm.em.transactional(async (em) => {
      assert.throws(() => fromMikroOrmMysql(em), (e: unknown) => e instanceof TxboxError && /on "postgresql" \(see fromMikroOrm\)/.test(e.message));
    });
  });
});
