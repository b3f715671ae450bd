import type { BenchConfig } from '../lib/args.js';
import { progress } from '../lib/log.js';
import type { BenchDatabase } from '../lib/pg.js';
import { best, ratio } from '../lib/stats.js';
import { startWakeRig, WAKE_MODES, type WakeMode } from '../lib/wake-modes.js';
import { runClosedLoopNoClient, type WriteRun } from '../lib/writers.js';

const MODES: WakeMode[] = ['raw_poll', 'raw_notify', 'txbox_poll', 'txbox_watch', 'txbox_nudge'];

export interface WakeCostResult {
  modes: Record<string, WriteRun & { setup: string; runs_tx_per_s: number[] }>;
  /** What NOTIFY in the writer's transaction costs a hand-written writer: raw_notify / raw_poll. */
  raw_notify_vs_raw_poll: number | null;
  /** The txbox push modes against hand-written NOTIFY (>= 1: txbox costs writers no more). */
  txbox_watch_vs_raw_notify: number | null;
  txbox_nudge_vs_raw_notify: number | null;
  txbox_watch_vs_txbox_poll: number | null;
}

/**
 * The write-side price of each wake-up mode: 8 writers in a closed loop while the matching
 * consumer drains. NOTIFY serialises committing transactions in PostgreSQL (one global queue lock
 * held through commit), so every notifying writer waits for the others.
 */
export async function runWakeCost(db: BenchDatabase, cfg: BenchConfig): Promise<WakeCostResult> {
  const tx = Math.max(200, Math.floor(cfg.writeTx / 2));
  const runs: Record<string, WriteRun[]> = {};
  for (let round = 0; round < cfg.rounds; round++) {
    for (let k = 0; k < MODES.length; k++) {
      const mode = MODES[(k + round) % MODES.length]!;
      const rig = await startWakeRig(db, mode, cfg.writers, () => {});
      try {
        // Every transaction takes a pooled connection, as an application's would (store.transaction does).
        const run = await runClosedLoopNoClient(cfg.writers, tx, (i) => rig.write(i));
        (runs[mode] ??= []).push(run);
        progress(`wake cost ${mode} round ${round + 1}: ${run.tx_per_s} tx/s, p99 ${run.latency.p99_ms} ms`);
      } finally {
        await rig.stop();
      }
    }
  }
  const modes: WakeCostResult['modes'] = {};
  for (const m of MODES) modes[m] = { ...best(runs[m]!, (r) => r.tx_per_s), setup: WAKE_MODES[m], runs_tx_per_s: runs[m]!.map((r) => r.tx_per_s) };
  const r = (a: WakeMode, b: WakeMode) => ratio(modes[a]!.tx_per_s, modes[b]!.tx_per_s);
  return {
    modes,
    raw_notify_vs_raw_poll: r('raw_notify', 'raw_poll'),
    txbox_watch_vs_raw_notify: r('txbox_watch', 'raw_notify'),
    txbox_nudge_vs_raw_notify: r('txbox_nudge', 'raw_notify'),
    txbox_watch_vs_txbox_poll: r('txbox_watch', 'txbox_poll'),
  };
}
