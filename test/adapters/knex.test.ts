import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import knex, { type Knex } from 'knex';
import { publishDebounced } from '../../src/consumers/debounce.js';
import { fromKnex, fromKnexMysql } from '../../src/adapters/knex/index.js';
import type { PgTransactionLike } from '../../src/stores/postgres/index.js';
import { MYSQL_URL, PG_URL } from '../support/env.js';
import { adapterContract } from './contract.js';
import { mysqlStores, ormTransaction, postgresStores } from './databases.js';

const pgStores = postgresStores();
const pgKnex = knex({ client: 'pg', connection: PG_URL, pool: { min: 0, max: 3 } });
adapterContract({
  name: 'Knex on PostgreSQL (fromKnex)',
  async create() {
    const store = await pgStores.create('knex_pg');
    return {
      store,
      transaction: (fn, commit) => ormTransaction<Knex.Transaction, unknown>((cb) => pgKnex.transaction(cb), (trx) => fn(fromKnex(trx)), commit) as never,
      notTransactions: () => [{ what: 'the root knex instance', handle: () => fromKnex(pgKnex as unknown as Knex.Transaction) }],
    };
  },
  async close() {
    await pgKnex.destroy();
    await pgStores.close();
  },
});

const myStores = mysqlStores();
const myKnex = knex({ client: 'mysql2', connection: MYSQL_URL, pool: { min: 0, max: 3 } });
adapterContract({
  name: 'Knex on MariaDB (fromKnexMysql)',
  async create() {
    const store = await myStores.create('knex_my');
    return {
      store,
      transaction: (fn, commit) => ormTransaction<Knex.Transaction, unknown>((cb) => myKnex.transaction(cb), (trx) => fn(fromKnexMysql(trx)), commit) as never,
      notTransactions: () => [
        { what: 'the root knex instance', handle: () => fromKnexMysql(myKnex as unknown as Knex.Transaction) },
        { what: 'a PostgreSQL knex given to the MySQL adapter', handle: () => fromKnexMysql(pgKnex as unknown as Knex.Transaction) },
      ],
    };
  },
  async close() {
    await myKnex.destroy();
    await myStores.close();
  },
});

// Why txbox owns the glue: what a user would write by hand looks right and is wrong.
describe('hand-written Knex glue (what fromKnex replaces)', () => {
  const stores = postgresStores();
  const db = knex({ client: 'pg', connection: PG_URL, pool: { min: 0, max: 2 } });
  after(async () => {
    await db.destroy();
    await stores.close();
  });
  const debounceThrough = async (glue: (trx: Knex.Transaction) => PgTransactionLike) => {
    const store = await stores.create('knex_naive');
    const send = (n: number) => db.transaction((trx) => publishDebounced(store, glue(trx), { topic: 't', payload: n, dedupKey: 'doc', delayMs: 100 }));
    await send(1);
    await send(2);
  };

  it('passing the SQL straight to trx.raw fails at the first send: Knex wants ? bindings', async () => {
    await assert.rejects(debounceThrough((trx) => ({ query: (t, v) => trx.raw(t, v as Knex.RawBinding[]) })), /Expected \d+ bindings, saw 0/);
  });

  it('turning every $n into ? in order fails debounce with 22P02: its UPDATE uses $2..$7 before $1', async () => {
    const naive = (trx: Knex.Transaction): PgTransactionLike => ({ query: (t, v) => trx.raw(t.replace(/\$\d+/g, '?'), v as Knex.RawBinding[]) });
    await assert.rejects(debounceThrough(naive), (e: { code?: string }) => e.code === '22P02');
  });

  it('fromKnex debounces where both fail', async () => {
    await debounceThrough(fromKnex);
  });
});
