import { pendingUpToSql, scanSql } from '../../src/stores/postgres/sql.js';
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
  keyings: Record<string, { keys: number; txbox_claim: PlanTimes; raw_claim: PlanTimes; txbox_msgs_per_s: number; raw_msgs_per_s: number }>;
  /** txbox drain with keys / without, same run: the price of the per-key order rule. */
  keyed_1000_vs_unkeyed: number | null;
  keyed_10_vs_unkeyed: number | null;
  pg_stat_statements: string;
}

type Statement = { sql: string; values: unknown[] };

/**
 * EXPLAIN ANALYZE of one claim of 500, in a transaction rolled back so nothing stays locked. The
 * claim is one statement, or two when `then` adds one after it (txbox's per-key rule, which
 * needs the claimed rows): their times are added up.
 */
async function explain(db: BenchDatabase, first: Statement, then?: (rows: Record<string, unknown>[]) => Statement | undefined): Promise<PlanTimes> {
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
      let [plan, exec] = await times(first);
      const second = then?.((await client.query(first.sql, first.values)).rows);
      if (second) {
        const [p2, e2] = await times(second);
        plan += p2;
        exec += e2;
      }
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
 * txbox's second claim step for these rows, as key-order.ts runs it: the count of pending rows
 * up to the newest keyed one (the lookup of blocking rows after it runs only when another relay,
 * a delay or a retry leaves a hole, which a single-relay drain never does).
 */
function keyOrderStatement(sql: string, rows: Record<string, unknown>[]): Statement | undefined {
  const upTo = rows.findLastIndex((r) => r.msg_key !== null);
  return upTo < 0 ? undefined : { sql, values: [String(rows[upTo]!.position), upTo + 2] };
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
    const txboxClaim = await explain(db, { sql: scanSql(layout, 'lock', false), values: [500] }, (rows) => keyOrderStatement(pendingUpToSql(layout), rows));
    const rawClaim = await explain(db, { sql: rawClaimSql(TABLE), values: [500] });
    let txbox = 0;
    let raw = 0;
    for (let round = 0; round < cfg.rounds; round++) {
      await bulkLoad(admin, TABLE, n, keys);
      txbox = Math.max(txbox, (await drainWithRelays(db, TABLE, n, { relays: 1, batchSize: 500 })).msgs_per_s);
      await bulkLoad(admin, TABLE, n, keys);
      raw = Math.max(raw, (await rawDrain(db, TABLE, n, 1)).msgs_per_s);
    }
    keyings[name] = { keys, txbox_claim: txboxClaim, raw_claim: rawClaim, txbox_msgs_per_s: txbox, raw_msgs_per_s: raw };
    progress(`claim ${name}: txbox claim ${txboxClaim.planning_ms}+${txboxClaim.execution_ms} ms (plan+exec), raw ${rawClaim.planning_ms}+${rawClaim.execution_ms} ms; drain txbox ${txbox} msgs/s, raw ${raw} msgs/s`);
  }
  const pss = (await admin.query(`SELECT current_setting('shared_preload_libraries') AS libs`)).rows[0].libs as string;
  await db.close(admin);
  return {
    messages: n,
    keyings,
    keyed_1000_vs_unkeyed: ratio(keyings.keys_1000!.txbox_msgs_per_s, keyings.unkeyed!.txbox_msgs_per_s),
    keyed_10_vs_unkeyed: ratio(keyings.keys_10!.txbox_msgs_per_s, keyings.unkeyed!.txbox_msgs_per_s),
    pg_stat_statements: pss.includes('pg_stat_statements') ? 'loaded' : 'not loaded on this server (shared_preload_libraries is empty); EXPLAIN ANALYZE used instead',
  };
}
