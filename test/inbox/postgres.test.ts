import pg from 'pg';
import { createPostgresInbox, createPostgresStore } from '../../src/stores/postgres/index.js';
import { PG_URL } from '../support/env.js';
import { pgEffects } from './pg-effects.js';
import { inboxContract } from './contract.js';

const pool = new pg.Pool({ connectionString: PG_URL, max: 8 });
const suffixes: string[] = [];

inboxContract({
  name: 'postgres',
  async create() {
    const suffix = `${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
    suffixes.push(suffix);
    const inbox = createPostgresInbox({ pool, table: `inbox_${suffix}` });
    const outbox = createPostgresStore({ pool, table: `outbox_${suffix}` });
    await inbox.migrate();
    await outbox.migrate();
    const effects = await pgEffects(pool, suffix);
    const run = async <T>(fn: (tx: pg.PoolClient) => Promise<T>): Promise<T> => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      } finally {
        client.release();
      }
    };
    return { inbox, outbox, run, ...effects };
  },
  async close() {
    for (const s of suffixes) await pool.query(`DROP TABLE IF EXISTS "inbox_${s}", "outbox_${s}", "counters_${s}"`);
    await pool.end();
  },
});
