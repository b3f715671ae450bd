import type pg from 'pg';
import type { ProduceFn } from '../../src/core/index.js';
import type { BenchConfig } from '../lib/args.js';
import { progress, waitUntil } from '../lib/log.js';
import { bulkLoad, makeStore, type BenchDatabase } from '../lib/pg.js';
import { rate } from '../lib/stats.js';
import { createRelay } from '../../src/core/index.js';
import { inRounds } from '../lib/rounds.js';
import { best, ratio } from '../lib/stats.js';

const TABLE = 'failures_outbox';
const BATCH = 500;
const RETRY_MS = 3_600_000;

/** Every message fails once: the producer answers each as failed, to be retried in an hour. */
const failAll: ProduceFn = (messages) => ({ ok: [], failed: messages.map((m) => ({ id: m.id, error: 'HTTP 503 from the broker: try again later' })) });

interface Run {
  messages: number;
  ms: number;
  msgs_per_s: number;
}

export interface FailuresResult {
  messages: number;
  variants: Record<string, Run & { setup: string; runs_msgs_per_s: number[] }>;
  /** txbox / the hand-written failure loop (best runs), and per round. */
  ratio: number | null;
  ratio_per_round: (number | null)[];
  ratio_median: number | null;
}

/**
 * The hand-written failure path: claim 500, record every failure (attempts + 1, last error, next
 * time in an hour) in one UPDATE, commit, until `n` rows failed. What the relay's failure path
 * is divided by: the relay also records each attempt in its history.
 */
async function rawFailures(pool: pg.Pool, n: number): Promise<Run> {
  const client = await pool.connect();
  const start = performance.now();
  let failed = 0;
  try {
    while (failed < n) {
      await client.query('BEGIN; SET LOCAL synchronous_commit = off');
      const { rows } = await client.query(
        `SELECT position, id, topic, payload FROM ${TABLE} WHERE processed_at IS NULL AND dead_at IS NULL AND available_at <= now() ORDER BY position LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [BATCH],
      );
      const positions = rows.map((r) => r.position);
      await client.query(
        `UPDATE ${TABLE} t SET attempts = t.attempts + 1, last_error = f.err, available_at = now() + interval '1 hour'
         FROM unnest($1::bigint[], $2::text[]) AS f(pos, err) WHERE t.position = f.pos`,
        [positions, rows.map(() => 'HTTP 503 from the broker: try again later')],
      );
      await client.query('COMMIT');
      if (rows.length === 0) break;
      failed += rows.length;
    }
  } finally {
    client.release();
  }
  const ms = performance.now() - start;
  return { messages: failed, ms: Math.round(ms), msgs_per_s: rate(failed, ms) };
}

/** One relay (batch 500) whose producer fails every message once. */
async function txboxFailures(db: BenchDatabase, n: number): Promise<Run> {
  const pool = db.pool(3);
  const store = await makeStore(pool, TABLE);
  let failed = 0;
  const relay = createRelay({
    store,
    producer: failAll,
    batchSize: BATCH,
    watch: false,
    logger: false,
    retry: { initialMs: RETRY_MS, maxMs: RETRY_MS, jitter: 0 },
    onEvent: (e) => {
      if (e.type === 'batch.settled') failed += e.failed;
    },
  });
  const start = performance.now();
  relay.start();
  let ms: number;
  try {
    await waitUntil(() => failed >= n, 600_000, `${n} failures recorded`, 1);
    ms = performance.now() - start;
  } finally {
    await relay.stop();
    await db.close(pool);
  }
  return { messages: failed, ms: Math.round(ms), msgs_per_s: rate(failed, ms) };
}

/**
 * Workload: a backlog whose every message fails once (the broker refuses all): how fast the
 * relay records failures, against the hand-written loop that records the same failures without
 * an attempt history. The drain workload covers the success path.
 */
export async function runFailures(db: BenchDatabase, cfg: BenchConfig): Promise<FailuresResult> {
  const n = cfg.messages;
  const admin = db.pool(2);
  await makeStore(admin, TABLE);
  const variants: Record<string, { setup: string; run: () => Promise<Run> }> = {
    raw_1: { setup: `1 hand-written loop, batch ${BATCH}: claim, one UPDATE of attempts, last error and time, commit`, run: () => rawFailures(admin, n) },
    txbox_b500: { setup: `1 relay, batchSize ${BATCH}, lock claims, every message failed once (retry in an hour)`, run: () => txboxFailures(db, n) },
  };
  const names = Object.keys(variants);
  const { runs, ratio_per_round, ratio_median } = await inRounds(
    names,
    cfg.shortRounds,
    async (name, round) => {
      await bulkLoad(admin, TABLE, n);
      const run = await variants[name]!.run();
      progress(`failures ${name} round ${round + 1}: ${run.msgs_per_s} msgs/s (${run.ms} ms)`);
      return run;
    },
    (r) => r.msgs_per_s,
    { txbox: 'txbox_', raw: 'raw_' },
  );
  await db.close(admin);
  const out: FailuresResult['variants'] = {};
  for (const name of names) out[name] = { ...best(runs[name]!, (r) => r.msgs_per_s), setup: variants[name]!.setup, runs_msgs_per_s: runs[name]!.map((r) => r.msgs_per_s) };
  return { messages: n, variants: out, ratio: ratio(out.txbox_b500!.msgs_per_s, out.raw_1!.msgs_per_s), ratio_per_round, ratio_median };
}
