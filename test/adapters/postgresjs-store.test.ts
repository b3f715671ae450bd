import assert from 'node:assert/strict';
import { describe, it, after } from 'node:test';
import postgres from 'postgres';
import { createOutbox, createRelay, TxboxError } from '../../src/core/index.js';
import { createPostgresJsStore, type PostgresJsTransaction } from '../../src/stores/postgresjs/index.js';
import { storeContract } from '../stores/contract.js';
import type { HarnessOptions, StoreHarness } from '../stores/harness.js';
import { eventually, PG_URL, uniqueName } from '../support/env.js';
import { adapterContract } from './contract.js';
import { ormTransaction } from './databases.js';

const connect = () => postgres(PG_URL, { max: 4, onnotice: () => {} });

/** The full PostgreSQL store on postgres.js alone: no `pg` anywhere. */
function postgresJsHarness(): StoreHarness {
  const clients: postgres.Sql[] = [];
  const tables: string[] = [];
  const newSql = () => {
    const sql = connect();
    clients.push(sql);
    return sql;
  };
  const admin = newSql();
  return {
    name: 'postgres.js (lease claims)',
    sql: true,
    async create(options: HarnessOptions = {}) {
      const table = uniqueName(options.table ?? 'pgjs');
      tables.push(table);
      const make = (sql: postgres.Sql) => createPostgresJsStore({ sql, ...options, table });
      const store = make(newSql());
      await store.migrate();
      const inTransaction = (fn: (tx: PostgresJsTransaction) => unknown, commit: boolean) =>
        ormTransaction<PostgresJsTransaction, unknown>((cb) => admin.begin(cb), fn, commit).then(() => undefined);
      return {
        store,
        commit: (fn) => inTransaction(fn, true),
        rollback: (fn) => inTransaction(fn, false),
        second: async () => make(newSql()),
        rowCount: async () => (await admin.unsafe(`SELECT count(*)::int AS n FROM "${table}"`))[0]!.n as number,
      };
    },
    async close() {
      for (const table of tables) await admin.unsafe(`DROP TABLE IF EXISTS "${table}"`);
      await Promise.all(clients.map((c) => c.end()));
    },
  };
}

storeContract(postgresJsHarness());

// The store takes postgres.js's own transaction: no adapter call at the call site.
const sql = connect();
const tables: string[] = [];
adapterContract({
  name: 'postgres.js store, its own transactions',
  async create() {
    const table = uniqueName('pgjs_own');
    tables.push(table);
    const store = createPostgresJsStore({ sql, table });
    await store.migrate();
    return {
      store,
      transaction: (fn, commit) => ormTransaction<PostgresJsTransaction, unknown>((cb) => sql.begin(cb), fn, commit) as never,
      notTransactions: () => [{ what: 'the root sql', handle: () => sql }],
    };
  },
  async close() {
    for (const table of tables) await sql.unsafe(`DROP TABLE IF EXISTS "${table}"`);
    await sql.end();
  },
});

describe('createPostgresJsStore', () => {
  const camel = postgres(PG_URL, { max: 1, transform: postgres.camel });
  const own = connect();
  const owned: string[] = [];
  after(async () => {
    for (const table of owned) await own.unsafe(`DROP TABLE IF EXISTS "${table}"`);
    await Promise.all([camel.end(), own.end()]);
  });

  it('refuses lock-mode claims, which postgres.js cannot end safely', () => {
    assert.throws(() => createPostgresJsStore({ sql: own, claimMode: 'lock' as never }), (e: unknown) => e instanceof TxboxError && e.field === 'claimMode');
  });

  it('refuses an sql instance that renames columns, and one that is not postgres.js', () => {
    assert.throws(() => createPostgresJsStore({ sql: camel }), (e: unknown) => e instanceof TxboxError && e.code === 'INVALID_OPTION' && e.field === 'sql');
    assert.throws(() => createPostgresJsStore({ sql: {} as never }), (e: unknown) => e instanceof TxboxError && e.field === 'sql');
  });

  it('runs store.transaction on postgres.js and wakes relays in this process', async () => {
    const table = uniqueName('pgjs_tx');
    owned.push(table);
    const store = createPostgresJsStore({ sql: own, table });
    await store.migrate();
    let nudged = 0;
    store.wakes.subscribe(() => nudged++);
    const outbox = createOutbox({ store });
    const { ids } = await store.transaction((tx) => outbox.send(tx, { topic: 't', payload: 'x' }));
    const batch = await store.claim({ limit: 10 });
    assert.equal(nudged, 1);
    assert.deepEqual(batch?.messages.map((m) => m.id), ids);
    await store.settle(batch!, { delivered: ids, failed: [], released: [] });
  });

  it('wakes a watching relay through LISTEN/NOTIFY', async () => {
    const table = uniqueName('pgjs_watch');
    owned.push(table);
    const store = createPostgresJsStore({ sql: own, table, notify: true });
    await store.migrate();
    let wakes = 0;
    const stop = await store.watch!(() => wakes++, (error) => assert.fail(String(error)));
    try {
      await store.transaction((tx) => createOutbox({ store }).send(tx, { topic: 't', payload: 1 }));
      await eventually(() => wakes > 0, 5000, 'a notification');
    } finally {
      await stop();
    }
  });
});

// The example of docs/adapters/postgresjs.md, run as written there (names made unique per run).
describe('docs/adapters/postgresjs.md', () => {
  const sql = postgres(PG_URL, { max: 4, onnotice: () => {} });
  const schema = uniqueName('txbox');
  const app = uniqueName('app');
  after(async () => {
    await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE; DROP SCHEMA IF EXISTS "${app}" CASCADE`);
    await sql.end();
  });

  it('runs the write side, migrate() and the relay on postgres.js alone', async () => {
    const store = createPostgresJsStore({ sql, schema });
    const outbox = createOutbox({ store });
    await store.migrate();
    await sql`CREATE SCHEMA ${sql(app)}`;
    await sql`CREATE TABLE ${sql(app)}.orders (id text PRIMARY KEY, total integer)`;

    // Write: the order and its message commit together, or neither does.
    await sql.begin(async (tx) => {
      await tx`INSERT INTO ${tx(app)}.orders ${tx({ id: 'o1', total: 42 })}`;
      await outbox.send(tx, { topic: 'order.placed', key: 'o1', payload: { total: 42 } });
    });

    // Relay: a producer stands in for the broker.
    const delivered: string[] = [];
    const relay = createRelay({ store, producer: async (messages) => void delivered.push(...messages.map((m) => m.topic)) });
    await relay.runOnce();
    assert.deepEqual(delivered, ['order.placed']);
  });
});
