import { createOutbox } from '../../src/core/index.js';
import type { BenchConfig } from '../lib/args.js';
import { progress } from '../lib/log.js';
import { createBusinessTable, makeStore, type BenchDatabase } from '../lib/pg.js';
import { inRounds } from '../lib/rounds.js';
import { best, ratio } from '../lib/stats.js';
import { runClosedLoopNoClient, type WriteRun } from '../lib/writers.js';
import { STACKS, type Variant } from './adapter-stacks.js';

/** One stack's figures: the best run of each variant, and send() / hand-written per round and their median. */
export interface AdapterResult {
  variants: Record<Variant, WriteRun & { runs_tx_per_s: number[] }>;
  /** txbox / hand from the best repetition of each. */
  ratio: number | null;
  ratio_per_round: (number | null)[];
  ratio_median: number | null;
}

export type AdaptersResult = Record<string, AdapterResult>;

const TABLE = 'adapters_txbox';
const HAND = 'adapters_hand';

/**
 * send() through each ORM adapter against the same ORM's hand-written outbox INSERT, in the same
 * run, on tables made by the same DDL: one business row + one message per transaction, from
 * `cfg.writers` concurrent transactions. Within each round the two variants run back to back,
 * in alternating order, so load from elsewhere hits both.
 */
export async function runAdapters(db: BenchDatabase, cfg: BenchConfig): Promise<AdaptersResult> {
  const pool = db.pool(2);
  await createBusinessTable(pool);
  const store = await makeStore(pool, TABLE);
  await makeStore(pool, HAND); // same DDL, written by hand
  const outbox = createOutbox({ store });
  const results: AdaptersResult = {};
  try {
    for (const [name, make] of Object.entries(STACKS)) {
      const stack = await make({ db, outbox, table: TABLE, hand: HAND, connections: cfg.writers });
      try {
        // Warm-up: connections, prepared statements, JIT.
        await runClosedLoopNoClient(cfg.writers, Math.min(300, cfg.adapterTx), stack.txbox);
        await runClosedLoopNoClient(cfg.writers, Math.min(300, cfg.adapterTx), stack.hand);
        const { runs, ratio_per_round, ratio_median } = await inRounds(
          ['hand', 'txbox'],
          cfg.shortRounds,
          async (variant, round) => {
            await pool.query(`TRUNCATE orders, ${TABLE}, ${HAND}`);
            const run = await runClosedLoopNoClient(cfg.writers, cfg.adapterTx, stack[variant as Variant]);
            progress(`adapters ${name} ${variant} round ${round + 1}: ${run.tx_per_s} tx/s`);
            return run;
          },
          (r) => r.tx_per_s,
          { txbox: 'txbox', raw: 'hand' },
        );
        const pick = (v: Variant) => ({ ...best(runs[v]!, (r) => r.tx_per_s), runs_tx_per_s: runs[v]!.map((r) => r.tx_per_s) });
        const variants = { hand: pick('hand'), txbox: pick('txbox') };
        results[name] = { variants, ratio: ratio(variants.txbox.tx_per_s, variants.hand.tx_per_s), ratio_per_round, ratio_median };
        progress(`adapters ${name}: send() / hand-written = ${ratio_median} (median of ${cfg.shortRounds} rounds)`);
      } finally {
        await stack.close();
      }
    }
  } finally {
    await db.close(pool);
  }
  return results;
}
