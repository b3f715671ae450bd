import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BenchConfig } from '../lib/args.js';
import { progress } from '../lib/log.js';
import { bulkLoad, countRows, makeStore, type BenchDatabase } from '../lib/pg.js';
import { rate, ratio } from '../lib/stats.js';

const TABLE = 'scale_outbox';
const CHILD = fileURLToPath(new URL('../scale-relay.ts', import.meta.url));

interface ChildResult {
  messages: number;
  ms: number;
  /** Rate after the first batch: without connection set-up and JIT warm-up. */
  steady_msgs_per_s: number;
  rss_start_mb: number;
  rss_peak_mb: number;
  heap_peak_mb: number;
  max_rss_mb: number;
}

export interface ScalePoint {
  pending: number;
  load_ms: number;
  txbox: ChildResult & { msgs_per_s: number; us_per_msg: number };
  raw: ChildResult & { msgs_per_s: number; us_per_msg: number };
  ratio: number | null;
}

export interface ScaleResult {
  points: ScalePoint[];
  /** Steady cost per message at the largest backlog / at the smallest: 1.0 is perfectly linear. */
  txbox_cost_growth: number | null;
  /** Peak RSS at the largest backlog minus at the smallest, in MB: flat memory stays near 0. */
  txbox_rss_growth_mb: number;
}

function runChild(url: string, n: number, mode: 'txbox' | 'raw', timeoutMs: number): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, url, TABLE, String(n), mode, '500'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(JSON.parse(out.trim().split('\n').pop()!) as ChildResult);
      else reject(new Error(`scale child (${mode}, ${n}) ended with ${signal ?? code}`));
    });
  });
}

/** Workload 6: drain time and relay RSS against the size of the backlog. */
export async function runScale(db: BenchDatabase, cfg: BenchConfig): Promise<ScaleResult> {
  const admin = db.pool(2);
  await makeStore(admin, TABLE);
  const points: ScalePoint[] = [];
  for (const n of cfg.scaleSizes) {
    const figures: Partial<Record<'txbox' | 'raw', ScalePoint['txbox']>> = {};
    let loadMs = 0;
    for (const mode of ['raw', 'txbox'] as const) {
      const t0 = performance.now();
      await bulkLoad(admin, TABLE, n);
      loadMs = Math.round(performance.now() - t0);
      const r = await runChild(db.url, n, mode, 600_000);
      const left = await countRows(admin, TABLE);
      if (left !== 0 || r.messages < n) throw new Error(`scale ${mode} ${n}: drained ${r.messages}, ${left} left`);
      figures[mode] = { ...r, msgs_per_s: rate(r.messages, r.ms), us_per_msg: Math.round((1e6 / Math.max(1, r.steady_msgs_per_s)) * 100) / 100 };
      progress(`scale ${n} ${mode}: ${figures[mode]!.msgs_per_s} msgs/s (${r.steady_msgs_per_s} after the first batch), peak RSS ${r.rss_peak_mb} MB (load ${loadMs} ms)`);
    }
    points.push({ pending: n, load_ms: loadMs, txbox: figures.txbox!, raw: figures.raw!, ratio: ratio(figures.txbox!.steady_msgs_per_s, figures.raw!.steady_msgs_per_s) });
  }
  await admin.query(`TRUNCATE ${TABLE}`);
  await db.close(admin);
  const first = points[0]!;
  const last = points[points.length - 1]!;
  return {
    points,
    txbox_cost_growth: ratio(last.txbox.us_per_msg, first.txbox.us_per_msg),
    txbox_rss_growth_mb: Math.round((last.txbox.rss_peak_mb - first.txbox.rss_peak_mb) * 10) / 10,
  };
}
