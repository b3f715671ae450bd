import type pg from 'pg';
import { rate, summarize, type LatencySummary } from './stats.js';
import { sleep } from './log.js';

export interface WriteRun {
  tx: number;
  ms: number;
  tx_per_s: number;
  latency: LatencySummary;
}

/** BEGIN, the caller's statements, COMMIT: the transaction a hand-written writer runs. */
export async function inTransaction(client: pg.PoolClient, fn: () => Promise<unknown>): Promise<void> {
  await client.query('BEGIN');
  try {
    await fn();
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}

/**
 * Closed loop: `connections` writers, each on its own connection, run transactions back to back
 * until `total` are done. `tx(client, i)` runs one whole transaction (BEGIN to COMMIT).
 */
export async function runClosedLoop(
  pool: pg.Pool,
  connections: number,
  total: number,
  tx: (client: pg.PoolClient, i: number) => Promise<void>,
): Promise<WriteRun> {
  const clients = await Promise.all(Array.from({ length: connections }, () => pool.connect()));
  const latencies = new Float64Array(total);
  let next = 0;
  const start = performance.now();
  try {
    await Promise.all(
      clients.map(async (client) => {
        for (let i = next++; i < total; i = next++) {
          const t0 = performance.now();
          await tx(client, i);
          latencies[i] = performance.now() - t0;
        }
      }),
    );
  } finally {
    clients.forEach((c) => c.release());
  }
  const ms = performance.now() - start;
  return { tx: total, ms: Math.round(ms), tx_per_s: rate(total, ms), latency: summarize(Array.from(latencies)) };
}

/** Same, but with transactions that take their own connection (store.transaction). */
export async function runClosedLoopNoClient(connections: number, total: number, tx: (i: number) => Promise<void>): Promise<WriteRun> {
  const latencies = new Float64Array(total);
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async () => {
      for (let i = next++; i < total; i = next++) {
        const t0 = performance.now();
        await tx(i);
        latencies[i] = performance.now() - t0;
      }
    }),
  );
  const ms = performance.now() - start;
  return { tx: total, ms: Math.round(ms), tx_per_s: rate(total, ms), latency: summarize(Array.from(latencies)) };
}

export interface OpenLoopResult {
  sent: number;
  /** performance.now() when each transaction's COMMIT returned, by sequence number. */
  committedAt: Float64Array;
  /** Transactions that could not start on time because too many were in flight. */
  late: number;
}

/**
 * Open loop: starts one transaction every 1000/rate ms for `durationMs`, whatever the previous
 * ones are doing, as real traffic does. `tx(seq)` resolves once its COMMIT has returned.
 */
export async function runOpenLoop(ratePerSecond: number, durationMs: number, tx: (seq: number) => Promise<void>): Promise<OpenLoopResult> {
  const interval = 1000 / ratePerSecond;
  const count = Math.max(1, Math.floor((durationMs / 1000) * ratePerSecond));
  const committedAt = new Float64Array(count).fill(Number.NaN);
  const inFlight = new Set<Promise<void>>();
  let late = 0;
  const start = performance.now();
  for (let seq = 0; seq < count; seq++) {
    const due = start + seq * interval;
    const wait = due - performance.now();
    if (wait > 0.5) await sleep(wait);
    if (inFlight.size >= 64) {
      late++;
      await Promise.race(inFlight);
    }
    const p = tx(seq).then(() => {
      committedAt[seq] = performance.now();
    });
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  }
  await Promise.all(inFlight);
  return { sent: count, committedAt, late };
}
