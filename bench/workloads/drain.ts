import type { BenchConfig } from '../lib/args.js';
import { progress } from '../lib/log.js';
import { bulkLoad, countRows, makeStore, type BenchDatabase } from '../lib/pg.js';
import { rawDrain } from '../lib/raw.js';
import { describeSpec, drainWithRelays, type DrainRun, type RelaySpec } from '../lib/relays.js';
import { inRounds, variantPerRound } from '../lib/rounds.js';
import { best, ratio } from '../lib/stats.js';

const TABLE = 'drain_outbox';

export const TXBOX_DRAIN_SPECS: Record<string, RelaySpec> = {
  txbox_default: { relays: 1 },
  txbox_b500: { relays: 1, batchSize: 500 },
  txbox_b1000: { relays: 1, batchSize: 1000 },
  txbox_b500_lease: { relays: 1, batchSize: 500, claimMode: 'lease' },
  txbox_b500_concurrency2: { relays: 1, batchSize: 500, concurrency: 2 },
  txbox_b500_2relays: { relays: 2, batchSize: 500 },
};

export interface DrainResult {
  messages: number;
  variants: Record<string, DrainRun & { setup: string; runs_msgs_per_s: number[] }>;
  best_txbox: string;
  best_raw: string;
  /** Best txbox variant / best plain hand-written variant (raw_1, raw_2). */
  ratio: number | null;
  /** Best txbox variant / the hand-written loop using the relay's asynchronous acknowledgement too. */
  ratio_vs_async_raw: number | null;
  /** Per round (variants ran back to back): best txbox / best plain raw of that round; and their median. */
  ratio_per_round: (number | null)[];
  ratio_median: number | null;
  /** One txbox relay with one claim loop (batch 500) / one hand-written loop (batch 500). */
  ratio_single_loop: number | null;
  /** The relay at its defaults (one claim loop) / the hand-written loop (one loop, batch 500), per round, and their median. */
  defaults_per_round: (number | null)[];
  defaults_median: number | null;
  /** Lease claims / lock claims (one relay, batch 500 each), per round, and their median. */
  lease_vs_lock_per_round: (number | null)[];
  lease_vs_lock_median: number | null;
}

/** Workload 2: a backlog of pending messages drained by a no-op producer. */
export async function runDrain(db: BenchDatabase, cfg: BenchConfig): Promise<DrainResult> {
  const n = cfg.messages;
  const admin = db.pool(2);
  await makeStore(admin, TABLE);
  const variants: Record<string, { setup: string; run: () => Promise<DrainRun> }> = {
    raw_1: { setup: '1 hand-written loop, batch 500', run: () => rawDrain(db, TABLE, n, 1) },
    raw_2: { setup: '2 hand-written loops, batch 500', run: () => rawDrain(db, TABLE, n, 2) },
    rawasync_1: { setup: '1 hand-written loop, batch 500, commit without waiting for the WAL flush (as the relay does)', run: () => rawDrain(db, TABLE, n, 1, { asyncCommit: true }) },
  };
  for (const [name, spec] of Object.entries(TXBOX_DRAIN_SPECS)) {
    variants[name] = { setup: describeSpec(spec), run: () => drainWithRelays(db, TABLE, n, spec) };
  }
  const names = Object.keys(variants);
  const { runs, ratio_per_round, ratio_median } = await inRounds(
    names,
    cfg.shortRounds,
    async (name, round) => {
      await bulkLoad(admin, TABLE, n);
      const run = await variants[name]!.run();
      const left = await countRows(admin, TABLE);
      if (left !== 0) throw new Error(`${name} left ${left} rows behind`);
      progress(`drain ${name} round ${round + 1}: ${run.msgs_per_s} msgs/s (${run.ms} ms, ${run.batches} batches)`);
      return run;
    },
    (r) => r.msgs_per_s,
    // rawasync_1 is reported beside the plain loops, not compared as one of them.
    { txbox: 'txbox_', raw: 'raw_' },
  );
  await db.close(admin);
  const defaults = variantPerRound(runs, 'txbox_default', ['raw_1'], (r) => r.msgs_per_s);
  const leaseVsLock = variantPerRound(runs, 'txbox_b500_lease', ['txbox_b500'], (r) => r.msgs_per_s);
  const out: DrainResult['variants'] = {};
  for (const name of names) {
    out[name] = { ...best(runs[name]!, (r) => r.msgs_per_s), setup: variants[name]!.setup, runs_msgs_per_s: runs[name]!.map((r) => r.msgs_per_s) };
  }
  const bestOf = (prefix: string) => names.filter((x) => x.startsWith(prefix)).reduce((a, b) => (out[b]!.msgs_per_s > out[a]!.msgs_per_s ? b : a));
  const bestTxbox = bestOf('txbox_');
  const bestRaw = bestOf('raw_');
  return {
    messages: n,
    variants: out,
    best_txbox: bestTxbox,
    best_raw: bestRaw,
    ratio: ratio(out[bestTxbox]!.msgs_per_s, out[bestRaw]!.msgs_per_s),
    ratio_single_loop: ratio(out.txbox_b500!.msgs_per_s, out.raw_1!.msgs_per_s),
    ratio_vs_async_raw: ratio(out[bestTxbox]!.msgs_per_s, out.rawasync_1!.msgs_per_s),
    ratio_per_round,
    ratio_median,
    defaults_per_round: defaults.per_round,
    defaults_median: defaults.median,
    lease_vs_lock_per_round: leaseVsLock.per_round,
    lease_vs_lock_median: leaseVsLock.median,
  };
}
