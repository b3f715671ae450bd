import pg from 'pg';
import { createPostgresStore, type ClaimMode, type PostgresStore, type PostgresStoreOptions } from '../../src/stores/postgres/index.js';
import { progress } from './log.js';

export const ADMIN_URL = process.env.TXBOX_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** One database per run, created at start and dropped at the end, so runs never see each other's rows. */
export interface BenchDatabase {
  readonly url: string;
  readonly name: string;
  /** A pool on the bench database; every pool made here is closed by `drop()`. */
  pool(max: number): pg.Pool;
  /** Closes one pool now (and forgets it). */
  close(pool: pg.Pool): Promise<void>;
  drop(): Promise<void>;
  serverVersion: string;
}

export async function createBenchDatabase(): Promise<BenchDatabase> {
  const name = `txbox_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  const serverVersion = (await admin.query('SHOW server_version')).rows[0].server_version as string;
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const pools = new Set<pg.Pool>();
  let dropped = false;
  progress(`created database ${name} (PostgreSQL ${serverVersion})`);
  return {
    url: url.toString(),
    name,
    serverVersion,
    pool(max) {
      const pool = new pg.Pool({ connectionString: url.toString(), max });
      // A server-ended idle connection must not crash the run.
      pool.on('error', () => {});
      pools.add(pool);
      return pool;
    },
    async close(pool) {
      pools.delete(pool);
      await pool.end();
    },
    async drop() {
      if (dropped) return;
      dropped = true;
      await Promise.allSettled([...pools].map((p) => p.end()));
      const c = new pg.Client({ connectionString: ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
      progress(`dropped database ${name}`);
    },
  };
}

/** The business table every write transaction inserts one row into. */
export async function createBusinessTable(pool: pg.Pool, table = 'orders'): Promise<void> {
  await pool.query(`DROP TABLE IF EXISTS ${table}`);
  await pool.query(`CREATE TABLE ${table} (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer text NOT NULL,
    amount numeric(12,2) NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
  )`);
}

export const insertOrderSql = (table = 'orders') => `INSERT INTO ${table} (customer, amount) VALUES ($1, $2)`;

/** A txbox store on its own table; the hand-written loops use a table made by the same DDL, so both pay for the same indexes. */
export async function makeStore(pool: pg.Pool, table: string, options: Partial<PostgresStoreOptions> & { claimMode?: ClaimMode } = {}): Promise<PostgresStore> {
  const store = createPostgresStore({ pool, table, ...options });
  await store.migrate();
  return store;
}

/**
 * Fills an outbox table with `n` pending messages in one INSERT ... SELECT generate_series: the
 * fastest way to a backlog, with no send() on the way. `keys` = 0 leaves them unkeyed.
 */
export async function bulkLoad(pool: pg.Pool, table: string, n: number, keys = 0): Promise<void> {
  await pool.query(`TRUNCATE ${table}`);
  const key = keys > 0 ? `'customer-' || (g % ${keys})` : 'NULL';
  const chunk = 250_000;
  for (let from = 1; from <= n; from += chunk) {
    const to = Math.min(n, from + chunk - 1);
    await pool.query(
      `INSERT INTO ${table} (id, topic, key, payload, content_type)
       SELECT gen_random_uuid(), 'order.created', ${key}, convert_to('{"order":' || g || ',"amount":42.5}', 'UTF8'), 'application/json'
       FROM generate_series(${from}, ${to}) g`,
    );
  }
  // Every variant starts from the same state: no dead tuples, fresh statistics.
  await pool.query(`VACUUM ANALYZE ${table}`);
}

export async function countRows(pool: pg.Pool, table: string): Promise<number> {
  return (await pool.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n as number;
}
