import mysql from 'mysql2/promise';
import { createOutbox, uuidv7 } from '../../src/core/index.js';
import { createMysqlStore, type MysqlStore } from '../../src/stores/mysql/index.js';
import type { BenchConfig } from '../lib/args.js';
import { progress } from '../lib/log.js';
import { inRounds, pickBest, relayDrainRate, since, type Compared, type Rate } from '../lib/rounds.js';
import { runClosedLoopNoClient } from '../lib/writers.js';
import { orderMessage } from './write.js';

export const MYSQL_URL = process.env.TXBOX_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

export interface MariadbResult {
  server: string;
  write: Compared;
  drain: Compared & { messages: number };
}

/**
 * MariaDB (or MySQL 8): the write workload from 8 connections and the drain, each against the
 * hand-written equivalent on a table made by txbox's DDL, in a database of their own that is
 * dropped at the end.
 */
export async function runMariadb(cfg: BenchConfig, writers: number): Promise<MariadbResult> {
  const name = `txbox_bench_${process.pid}`;
  const admin = mysql.createPool({ uri: MYSQL_URL, connectionLimit: 1 });
  await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
  await admin.query(`CREATE DATABASE \`${name}\``);
  const url = new URL(MYSQL_URL);
  url.pathname = `/${name}`;
  const pool = mysql.createPool({ uri: url.toString(), connectionLimit: writers + 2 });
  try {
    const [[{ v }]] = (await pool.query('SELECT VERSION() AS v')) as unknown as [[{ v: string }]];
    await pool.query('CREATE TABLE orders (id BIGINT AUTO_INCREMENT PRIMARY KEY, customer VARCHAR(64) NOT NULL, amount DECIMAL(12,2) NOT NULL, created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6))');
    const store = createMysqlStore({ pool, table: 'my_txbox' });
    await store.migrate();
    await createMysqlStore({ pool, table: 'my_raw' }).migrate(); // same DDL, written by hand
    return { server: v, write: await writeWorkload(pool, store, cfg, writers), drain: await drainWorkload(pool, store, cfg) };
  } finally {
    await pool.end();
    await admin.query(`DROP DATABASE IF EXISTS \`${name}\``).catch(() => {});
    await admin.end();
  }
}

async function writeWorkload(pool: mysql.Pool, store: MysqlStore, cfg: BenchConfig, writers: number): Promise<MariadbResult['write']> {
  const outbox = createOutbox({ store });
  const order = 'INSERT INTO orders (customer, amount) VALUES (?, ?)';
  const raw = 'INSERT INTO my_raw (id, topic, `key`, payload, content_type, created_at, available_at) VALUES (?, ?, ?, ?, ?, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))';
  const inTx = async (fn: (c: mysql.PoolConnection) => Promise<unknown>) => {
    const c = await pool.getConnection();
    try {
      await c.beginTransaction();
      await fn(c);
      await c.commit();
    } catch (error) {
      await c.rollback().catch(() => {});
      throw error;
    } finally {
      c.release();
    }
  };
  const variants: Record<string, (i: number) => Promise<void>> = {
    business_only: (i) => inTx((c) => c.query(order, [`customer-${i % 1000}`, 42.5])),
    raw_outbox: (i) =>
      inTx(async (c) => {
        await c.query(order, [`customer-${i % 1000}`, 42.5]);
        const m = orderMessage(i);
        await c.query(raw, [uuidv7(), m.topic, m.key, Buffer.from(JSON.stringify(m.payload)), 'application/json']);
      }),
    txbox_send: (i) =>
      inTx(async (c) => {
        await c.query(order, [`customer-${i % 1000}`, 42.5]);
        await outbox.send(c, orderMessage(i));
      }),
  };
  const n = cfg.quick ? 300 : cfg.writeTx;
  const result = await inRounds(Object.keys(variants), cfg.shortRounds, async (name) => {
    await pool.query('TRUNCATE orders');
    await pool.query('TRUNCATE my_txbox');
    await pool.query('TRUNCATE my_raw');
    const run = await runClosedLoopNoClient(writers, n, variants[name]!);
    progress(`mariadb write ${name}: ${run.tx_per_s} tx/s, p99 ${run.latency.p99_ms} ms`);
    return { n, ms: run.ms, per_s: run.tx_per_s };
  }, (r) => r.per_s);
  return { variants: pickBest(result.runs), ratio_per_round: result.ratio_per_round, ratio_median: result.ratio_median };
}

async function drainWorkload(pool: mysql.Pool, lease: MysqlStore, cfg: BenchConfig): Promise<MariadbResult['drain']> {
  const n = cfg.messages;
  const lock = createMysqlStore({ pool, table: 'my_txbox', claimMode: 'lock' });
  const relayDrain = async (store: MysqlStore): Promise<Rate> => {
    await load('my_txbox');
    return relayDrainRate(store, n, 'MariaDB');
  };
  const load = async (table: string) => {
    await pool.query(`TRUNCATE ${table}`);
    for (let from = 0; from < n; from += 1000) {
      const rows = Array.from({ length: Math.min(1000, n - from) }, (_, k) => [uuidv7(), 'order.created', null, Buffer.from(`{"order":${from + k},"amount":42.5}`), 'application/json']);
      await pool.query(`INSERT INTO ${table} (id, topic, \`key\`, payload, content_type, created_at, available_at) VALUES ${rows.map(() => '(?, ?, ?, ?, ?, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))').join(', ')}`, rows.flat());
    }
  };
  // The hand-written loop: claim the oldest 500 with SKIP LOCKED, hand them to the (no-op)
  // producer, delete them, commit.
  const rawBatch = async (c: mysql.PoolConnection) => {
    await c.beginTransaction();
    const [rows] = (await c.query(
      'SELECT position, id, topic, `key`, payload, content_type, headers, created_at, attempts FROM my_raw WHERE processed_at IS NULL AND dead_at IS NULL AND available_at <= UTC_TIMESTAMP(6) ORDER BY position LIMIT 500 FOR UPDATE SKIP LOCKED',
    )) as unknown as [{ position: number }[]];
    if (rows.length > 0) await c.query(`DELETE FROM my_raw WHERE position IN (${rows.map(() => '?').join(', ')})`, rows.map((r) => r.position));
    await c.commit();
    return rows.length;
  };
  const variants: Record<string, () => Promise<Rate>> = {
    raw_1: async () => {
      await load('my_raw');
      const c = await pool.getConnection();
      try {
        const start = performance.now();
        let done = 0;
        while (done < n) done += await rawBatch(c);
        return since(done, start);
      } finally {
        c.release();
      }
    },
    txbox_b500: () => relayDrain(lease),
    txbox_b500_lock: () => relayDrain(lock),
  };
  const result = await inRounds(Object.keys(variants), cfg.shortRounds, async (name) => {
    const run = await variants[name]!();
    progress(`mariadb drain ${name}: ${run.per_s} msgs/s`);
    return run;
  }, (r) => r.per_s);
  return { messages: n, variants: pickBest(result.runs), ratio_per_round: result.ratio_per_round, ratio_median: result.ratio_median };
}
