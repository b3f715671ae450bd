import type pg from 'pg';
import { createOutbox, uuidv7 } from '../../src/core/index.js';
import type { BenchConfig } from '../lib/args.js';
import { progress } from '../lib/log.js';
import { createBusinessTable, insertOrderSql, makeStore, type BenchDatabase } from '../lib/pg.js';
import { rawInsertSql } from '../lib/raw.js';
import { inRounds } from '../lib/rounds.js';
import { best, ratio } from '../lib/stats.js';
import { inTransaction, runClosedLoop, type WriteRun } from '../lib/writers.js';

/** The message every writer sends with its business row. */
export const orderMessage = (i: number) => ({
  topic: 'order.created',
  key: `customer-${i % 1000}`,
  payload: { order: i, amount: 42.5 },
});

export type WriteVariant = 'business_only' | 'raw_outbox' | 'txbox_send';

export interface WriteResult {
  variants: Record<WriteVariant, WriteRun & { runs_tx_per_s: number[] }>;
  /** txbox_send / raw_outbox, from the best repetition of each. */
  ratio: number | null;
  /** The same ratio per repetition (each pair ran back to back), and its median. */
  ratio_per_round: (number | null)[];
  ratio_median: number | null;
}

/**
 * Workload 1: N business transactions from 8 connections, each inserting one business row,
 * (a) alone, (b) plus a hand-written outbox INSERT, (c) plus txbox send().
 */
export async function runWrite(db: BenchDatabase, cfg: BenchConfig): Promise<WriteResult> {
  const pool = db.pool(cfg.writers + 2);
  await createBusinessTable(pool);
  const store = await makeStore(pool, 'write_txbox');
  await makeStore(pool, 'write_raw'); // same DDL, written by hand
  const outbox = createOutbox({ store });
  const orderSql = insertOrderSql();
  const rawSql = rawInsertSql('write_raw');

  const variants: Record<WriteVariant, (c: pg.PoolClient, i: number) => Promise<void>> = {
    business_only: (c, i) => inTransaction(c, () => c.query(orderSql, [`customer-${i % 1000}`, 42.5])),
    raw_outbox: (c, i) =>
      inTransaction(c, async () => {
        await c.query(orderSql, [`customer-${i % 1000}`, 42.5]);
        const m = orderMessage(i);
        await c.query(rawSql, [uuidv7(), m.topic, m.key, Buffer.from(JSON.stringify(m.payload)), 'application/json']);
      }),
    txbox_send: (c, i) =>
      inTransaction(c, async () => {
        await c.query(orderSql, [`customer-${i % 1000}`, 42.5]);
        await outbox.send(c, orderMessage(i));
      }),
  };
  // Warm-up: connections, JIT and the server's caches, so the first variant is not penalised.
  await runClosedLoop(pool, cfg.writers, Math.min(500, cfg.writeTx), variants.txbox_send);
  const { runs, ratio_per_round, ratio_median } = await inRounds(
    Object.keys(variants),
    cfg.shortRounds,
    async (name, round) => {
      await pool.query('TRUNCATE orders, write_txbox, write_raw');
      await pool.query('CHECKPOINT');
      const run = await runClosedLoop(pool, cfg.writers, cfg.writeTx, variants[name as WriteVariant]);
      progress(`write ${name} round ${round + 1}: ${run.tx_per_s} tx/s, p50 ${run.latency.p50_ms} ms, p99 ${run.latency.p99_ms} ms`);
      return run;
    },
    (r) => r.tx_per_s,
  );
  await db.close(pool);

  const pick = (name: WriteVariant) => ({ ...best(runs[name]!, (r) => r.tx_per_s), runs_tx_per_s: runs[name]!.map((r) => r.tx_per_s) });
  const result = { business_only: pick('business_only'), raw_outbox: pick('raw_outbox'), txbox_send: pick('txbox_send') };
  return {
    variants: result,
    ratio: ratio(result.txbox_send.tx_per_s, result.raw_outbox.tx_per_s),
    ratio_per_round,
    ratio_median,
  };
}
