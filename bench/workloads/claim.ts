import { firstScanSql } from '../../src/stores/postgres/sql.js';
import { resolveLayout } from '../../src/stores/shared/layout.js';
import type { BenchConfig } from '../lib/args.js';
import { progress } from '../lib/log.js';
import { bulkLoad, makeStore, type BenchDatabase } from '../lib/pg.js';
import { rawClaimSql, rawDrain } from '../lib/raw.js';
import { drainWithRelays } from '../lib/relays.js';
import { median, ratio } from '../lib/stats.js';

const TABLE = 'claim_outbox';
const KEYINGS = { unkeyed: 0, keys_1000: 1000, keys_10: 10 } as const;

interface PlanTimes {
  planning_ms: number;
  execution_ms: number;
}

export interface ClaimCostResult {
  messages: number;
  keyings: Record<string, { keys: number; txbox_claim: PlanTimes; raw_claim: PlanTimes; txbox_msgs_per_s: number; raw_msgs_per_s: number; txbox_runs_msgs_per_s: number[]; raw_runs_msgs_per_s: number[] }>;
  /** txbox drain with keys / without, within each round (back to back), and the median: the price of the per-key order rule. */
  keyed_1000_vs_unkeyed: number | null;
  keyed_10_vs_unkeyed: number | null;
  keyed_1000_per_round: (number | null)[];
  keyed_10_per_round: (number | null)[];
  pg_stat_statements: string;
}

type Statement = { sql: string; values: unknown[] };

/** EXPLAIN ANALYZE of one claim of 500, in a transaction rolled back so nothing stays locked. */
async function explain(db: BenchDatabase, first: Statement): Promise<PlanTimes> {
  const pool = db.pool(1);
  const client = await pool.connect();
  const planning: number[] = [];
  const execution: number[] = [];
  const times = async (s: Statement) => {
    const plan = (await client.query(`EXPLAIN (ANALYZE, TIMING OFF, SUMMARY) ${s.sql}`, s.values)).rows as { 'QUERY PLAN': string }[];
    const text = plan.map((r) => r['QUERY PLAN']).join('\n');
    return [Number(/Planning Time: ([\d.]+)/.exec(text)?.[1]), Number(/Execution Time: ([\d.]+)/.exec(text)?.[1])] as const;
  };
  try {
    for (let i = 0; i < 7; i++) {
      await client.query('BEGIN');
      const [plan, exec] = await times(first);
      await client.query('ROLLBACK');
      if (i < 2) continue; // warm-up
      planning.push(plan);
      execution.push(exec);
    }
  } finally {
    client.release();
    await db.close(pool);
  }
  return { planning_ms: Math.round(median(planning) * 1000) / 1000, execution_ms: Math.round(median(execution) * 1000) / 1000 };
}

/**
 * The per-key order rule in the claim: its cost on unkeyed messages, on many keys (1000,
 * about one message per key in a batch of 500) and on few keys (10, 50 per key per batch).
 */
export async function runClaimCost(db: BenchDatabase, cfg: BenchConfig): Promise<ClaimCostResult> {
  const n = cfg.messages;
  const admin = db.pool(2);
  await makeStore(admin, TABLE);
  const layout = resolveLayout({ table: TABLE }, 'txbox_outbox', '"');
  const keyings: ClaimCostResult['keyings'] = {};
  for (const [name, keys] of Object.entries(KEYINGS)) {
    await bulkLoad(admin, TABLE, n, keys);
    // The first scan carries the per-key rule's count; the lookup of blocking rows after it runs
    // only when another relay, a delay or a retry leaves a hole, which a single-relay drain never does.
    const txboxClaim = await explain(db, { sql: firstScanSql(layout, 'lock'), values: [500] });
    const rawClaim = await explain(db, { sql: rawClaimSql(TABLE), values: [500] });
    keyings[name] = { keys, txbox_claim: txboxClaim, raw_claim: rawClaim, txbox_msgs_per_s: 0, raw_msgs_per_s: 0, txbox_runs_msgs_per_s: [], raw_runs_msgs_per_s: [] };
  }
  // Every keying runs in every round, back to back, so load from elsewhere lands on all alike.
  const keyedPerRound: Record<string, (number | null)[]> = { keys_1000: [], keys_10: [] };
  for (let round = 0; round < cfg.rounds; round++) {
    for (const [name, keys] of Object.entries(KEYINGS)) {
      const k = keyings[name]!;
      await bulkLoad(admin, TABLE, n, keys);
      k.txbox_runs_msgs_per_s.push((await drainWithRelays(db, TABLE, n, { relays: 1, batchSize: 500 })).msgs_per_s);
      await bulkLoad(admin, TABLE, n, keys);
      k.raw_runs_msgs_per_s.push((await rawDrain(db, TABLE, n, 1)).msgs_per_s);
      progress(`claim ${name} round ${round + 1}: drain txbox ${k.txbox_runs_msgs_per_s.at(-1)} msgs/s, raw ${k.raw_runs_msgs_per_s.at(-1)} msgs/s`);
    }
    for (const name of Object.keys(keyedPerRound)) keyedPerRound[name]!.push(ratio(keyings[name]!.txbox_runs_msgs_per_s[round], keyings.unkeyed!.txbox_runs_msgs_per_s[round]));
  }
  for (const [name, k] of Object.entries(keyings)) {
    k.txbox_msgs_per_s = Math.max(...k.txbox_runs_msgs_per_s);
    k.raw_msgs_per_s = Math.max(...k.raw_runs_msgs_per_s);
    progress(`claim ${name}: txbox claim ${k.txbox_claim.planning_ms}+${k.txbox_claim.execution_ms} ms (plan+exec), raw ${k.raw_claim.planning_ms}+${k.raw_claim.execution_ms} ms; best drain txbox ${k.txbox_msgs_per_s} msgs/s, raw ${k.raw_msgs_per_s} msgs/s`);
  }
  const medianOf = (xs: (number | null)[]) => {
    const valid = xs.filter((x): x is number => x !== null);
    return valid.length ? median(valid) : null;
  };
  const pss = (await admin.query(`SELECT current_setting('shared_preload_libraries') AS libs`)).rows[0].libs as string;
  await db.close(admin);
  return {
    messages: n,
    keyings,
    keyed_1000_vs_unkeyed: medianOf(keyedPerRound.keys_1000!),
    keyed_10_vs_unkeyed: medianOf(keyedPerRound.keys_10!),
    keyed_1000_per_round: keyedPerRound.keys_1000!,
    keyed_10_per_round: keyedPerRound.keys_10!,
    pg_stat_statements: pss.includes('pg_stat_statements') ? 'loaded' : 'not loaded on this server (shared_preload_libraries is empty); EXPLAIN ANALYZE used instead',
  };
}
