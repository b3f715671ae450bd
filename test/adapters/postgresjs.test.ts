import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import postgres from 'postgres';
import { createOutbox } from '../../src/core/index.js';
import { fromPostgresJs, type PostgresJsTransaction } from '../../src/stores/postgresjs/index.js';
import { PG_URL } from '../support/env.js';
import { adapterContract } from './contract.js';
import { ormTransaction, postgresStores } from './databases.js';

// postgres.js transactions written into the pg store (an application on postgres.js, a relay on pg).
const stores = postgresStores();
const sql = postgres(PG_URL, { max: 3, onnotice: () => {} });
let reserved: postgres.ReservedSql | undefined;
adapterContract({
  name: 'postgres.js into the pg store (fromPostgresJs)',
  async create() {
    const store = await stores.create('pgjs_adapter');
    const conn = (reserved ??= await sql.reserve());
    return {
      store,
      transaction: (fn, commit) => ormTransaction<PostgresJsTransaction, unknown>((cb) => sql.begin(cb), (tx) => fn(fromPostgresJs(tx)), commit) as never,
      notTransactions: () => [
        { what: 'the root sql', handle: () => fromPostgresJs(sql as never) },
        { what: 'a reserved connection', handle: () => fromPostgresJs(conn as never) },
      ],
    };
  },
  async close() {
    reserved?.release();
    await sql.end();
    await stores.close();
  },
});

describe('postgres.js statements', () => {
  const own = postgres(PG_URL, { max: 1, onnotice: () => {} });
  const unprepared = postgres(PG_URL, { max: 1, prepare: false, onnotice: () => {} });
  const tables = postgresStores();
  after(async () => {
    await own.end();
    await unprepared.end();
    await tables.close();
  });

  // An unprepared statement with parameters is described by the server first, a round trip of
  // its own: a send() would then cost two round trips where a tagged template costs one.
  it("are prepared and kept on the connection, as postgres.js's own are, unless the instance says prepare: false", async () => {
    const store = await tables.create('pgjs_prepared');
    const outbox = createOutbox({ store });
    const count = async (tx: PostgresJsTransaction) => (await tx`SELECT count(*)::int AS n FROM pg_prepared_statements WHERE statement ILIKE 'INSERT INTO%'`)[0]!.n as number;
    const sends = async (sql: postgres.Sql) =>
      sql.begin(async (tx) => {
        await outbox.send(fromPostgresJs(tx), { topic: 't', payload: 1 });
        const first = await count(tx);
        await outbox.send(fromPostgresJs(tx), { topic: 't', payload: 2 });
        return [first, await count(tx)];
      });
    assert.deepEqual(await sends(own), [1, 1], 'prepared once, then reused');
    assert.deepEqual(await sends(unprepared), [0, 0], 'nothing prepared when the instance says so');
  });
});
