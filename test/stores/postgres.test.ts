import pg from 'pg';
import { createPostgresStore, type ClaimMode } from '../../src/stores/postgres/index.js';
import { PG_URL, uniqueName } from '../support/env.js';
import type { HarnessOptions, StoreHarness } from './harness.js';
import { storeContract } from './contract.js';
import { queriesContract } from './queries-contract.js';

function postgresHarness(claimMode: ClaimMode): StoreHarness {
  const pools: pg.Pool[] = [];
  const tables: string[] = [];
  const newPool = () => {
    const pool = new pg.Pool({ connectionString: PG_URL, max: 4 });
    pools.push(pool);
    return pool;
  };
  const admin = newPool();
  return {
    name: `postgres (${claimMode} claims)`,
    sql: true,
    async create(options: HarnessOptions = {}) {
      const table = uniqueName(options.table ?? 'outbox');
      tables.push(table);
      const make = (pool: pg.Pool) => createPostgresStore({ pool, claimMode, ...options, table });
      const store = make(newPool());
      await store.migrate();
      const inTransaction = async (fn: (tx: pg.PoolClient) => unknown, commit: boolean) => {
        const client = await admin.connect();
        try {
          await client.query('BEGIN');
          await fn(client);
          await client.query(commit ? 'COMMIT' : 'ROLLBACK');
        } catch (error) {
          await client.query('ROLLBACK');
          throw error;
        } finally {
          client.release();
        }
      };
      return {
        store,
        commit: (fn) => inTransaction(fn, true),
        rollback: (fn) => inTransaction(fn, false),
        second: async () => make(newPool()),
        rowCount: async () => (await admin.query(`SELECT count(*)::int AS n FROM "${table}"`)).rows[0].n,
      };
    },
    async close() {
      for (const table of tables) await admin.query(`DROP TABLE IF EXISTS "${table}"`);
      await Promise.all(pools.map((p) => p.end()));
    },
  };
}

storeContract(queriesContract(postgresHarness('lock')));
storeContract(queriesContract(postgresHarness('lease')));
