import type { BenchConfig } from '../lib/args.js';
import { progress, waitAtMost } from '../lib/log.js';
import type { BenchDatabase } from '../lib/pg.js';
import { summarize, type LatencySummary } from '../lib/stats.js';
import { startWakeRig, WAKE_MODES, type WakeMode } from '../lib/wake-modes.js';
import { runOpenLoop } from '../lib/writers.js';

export interface LatencyRun extends LatencySummary {
  mode: string;
  rate_per_s: number;
  sent: number;
  /** Messages not delivered within 5 s of the last commit: counted at that lower bound (time-boxed peers). */
  undelivered: number;
  /** Deliveries the producer saw before the writer's COMMIT call had returned (counted as 0 ms). */
  before_commit_returned: number;
  late_starts: number;
}

/**
 * Workload 3: a steady stream of business transactions (open loop, `rate` per second); the
 * figure is the time from the writer's COMMIT returning to the producer being called.
 */
export interface LatencySamples {
  run: Omit<LatencyRun, keyof LatencySummary>;
  samples: number[];
}

export async function measureLatency(
  start: (delivered: (seq: number) => void) => Promise<{ write: (seq: number) => Promise<void>; stop: () => Promise<void> }>,
  mode: string,
  ratePerSecond: number,
  durationMs: number,
  allowUndelivered = false,
): Promise<LatencyRun> {
  const { run, samples } = await sampleLatency(start, mode, ratePerSecond, durationMs, allowUndelivered);
  return { ...run, ...summarize(samples) };
}

/** One window of the open-loop writer; returns every sample, so windows of one mode can be merged. */
export async function sampleLatency(
  start: (delivered: (seq: number) => void) => Promise<{ write: (seq: number) => Promise<void>; stop: () => Promise<void> }>,
  mode: string,
  ratePerSecond: number,
  durationMs: number,
  allowUndelivered = false,
): Promise<LatencySamples> {
  const count = Math.floor((durationMs / 1000) * ratePerSecond);
  const seen = new Float64Array(count + 1).fill(Number.NaN);
  const rig = await start((seq) => {
    if (seq < seen.length && Number.isNaN(seen[seq]!)) seen[seq] = performance.now();
  });
  let result;
  try {
    result = await runOpenLoop(ratePerSecond, durationMs, rig.write);
    const complete = await waitAtMost(() => seen.subarray(0, result!.sent).every((t) => !Number.isNaN(t)), 5000);
    if (!complete) progress(`latency ${mode}: not every message arrived within 5 s of the last commit`);
  } finally {
    await rig.stop();
  }
  const cutoff = performance.now();
  // The first 10% (at most 1 s) warms connections and the JIT; it is not reported.
  const warm = Math.min(Math.floor(result.sent / 10), ratePerSecond);
  const samples: number[] = [];
  let early = 0;
  let undelivered = 0;
  for (let i = warm; i < result.sent; i++) {
    let d = seen[i]! - result.committedAt[i]!;
    if (Number.isNaN(d)) {
      undelivered++;
      d = cutoff - result.committedAt[i]!;
    }
    if (d < 0) early++;
    samples.push(Math.max(0, d));
  }
  if (undelivered > 0 && !allowUndelivered) throw new Error(`latency ${mode}: ${undelivered} messages never reached the producer`);
  return { run: { mode, rate_per_s: ratePerSecond, sent: result.sent, undelivered, before_commit_returned: early, late_starts: result.late }, samples };
}

export type LatencyResult = Record<WakeMode, LatencyRun & { setup: string; slices: number }>;

/**
 * Each mode runs `latencyMs` in total, cut into slices that alternate between the modes, so a
 * burst of load from elsewhere on the machine lands on every mode alike; the slices of one mode
 * are merged before the percentiles are taken.
 */
export async function runLatency(db: BenchDatabase, cfg: BenchConfig): Promise<LatencyResult> {
  const modes = Object.keys(WAKE_MODES) as WakeMode[];
  const slices = cfg.quick ? 1 : 4;
  const collected = new Map<WakeMode, LatencySamples[]>();
  for (let slice = 0; slice < slices; slice++) {
    for (let k = 0; k < modes.length; k++) {
      const mode = modes[(k + slice) % modes.length]!;
      const part = await sampleLatency((d) => startWakeRig(db, mode, 4, d), mode, cfg.latencyRate, cfg.latencyMs / slices);
      collected.set(mode, [...(collected.get(mode) ?? []), part]);
    }
    progress(`latency: slice ${slice + 1} of ${slices} done`);
  }
  const out = {} as LatencyResult;
  for (const mode of modes) {
    const parts = collected.get(mode)!;
    const sum = (f: (r: LatencySamples['run']) => number) => parts.reduce((a, p) => a + f(p.run), 0);
    const run: LatencyRun = {
      mode,
      rate_per_s: cfg.latencyRate,
      sent: sum((r) => r.sent),
      undelivered: sum((r) => r.undelivered),
      before_commit_returned: sum((r) => r.before_commit_returned),
      late_starts: sum((r) => r.late_starts),
      ...summarize(parts.flatMap((p) => p.samples)),
    };
    out[mode] = { ...run, setup: WAKE_MODES[mode], slices };
    progress(`latency ${mode}: p50 ${run.p50_ms} ms, p99 ${run.p99_ms} ms, max ${run.max_ms} ms (${run.n} messages)`);
  }
  return out;
}
