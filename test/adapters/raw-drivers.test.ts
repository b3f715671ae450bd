import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createPostgresStore } from '../../src/stores/postgres/index.js';
import { createSqliteStore } from '../../src/stores/sqlite/index.js';
import { PG_URL, uniqueName } from '../support/env.js';
import { adapterContract } from './contract.js';

// The raw drivers, as every adapter's baseline: the handle is the driver's own transaction.
const pool = new pg.Pool({ connectionString: PG_URL, max: 4 });
const tables: string[] = [];
adapterContract({
  name: 'pg (no adapter)',
  async create() {
    const table = uniqueName('adapter_raw');
    tables.push(table);
    const store = createPostgresStore({ pool, table });
    await store.migrate();
    return {
      store,
      async transaction(fn, commit) {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          const result = await fn(client);
          await client.query(commit ? 'COMMIT' : 'ROLLBACK');
          return result;
        } catch (error) {
          await client.query('ROLLBACK');
          throw error;
        } finally {
          client.release();
        }
      },
      notTransactions: () => [{ what: 'the pool', handle: () => pool }],
    };
  },
  async close() {
    for (const table of tables) await pool.query(`DROP TABLE IF EXISTS ${table}`);
    await pool.end();
  },
});

const dir = mkdtempSync(join(tmpdir(), 'txbox-adapter-raw-'));
adapterContract({
  name: 'better-sqlite3 (no adapter)',
  sync: true,
  async create() {
    const db = new Database(join(dir, `${uniqueName('raw')}.db`));
    const store = createSqliteStore({ db });
    await store.migrate();
    return {
      store,
      async transaction(fn, commit) {
        db.exec('BEGIN');
        try {
          const result = fn(db);
          db.exec(commit ? 'COMMIT' : 'ROLLBACK');
          return result;
        } catch (error) {
          if (db.inTransaction) db.exec('ROLLBACK');
          throw error;
        }
      },
      notTransactions: () => [{ what: 'the database outside a transaction', handle: () => db }],
    };
  },
  async close() {},
});
