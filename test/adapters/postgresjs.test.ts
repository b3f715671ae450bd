import postgres from 'postgres';
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
