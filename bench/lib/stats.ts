/** Latency summary in milliseconds, as every workload reports it. */
export interface LatencySummary {
  n: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  mean_ms: number;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

export function summarize(samples: readonly number[]): LatencySummary {
  const sorted = Float64Array.from(samples).sort();
  const arr = Array.from(sorted);
  const mean = arr.reduce((a, b) => a + b, 0) / Math.max(1, arr.length);
  return {
    n: arr.length,
    p50_ms: round3(percentile(arr, 50)),
    p99_ms: round3(percentile(arr, 99)),
    max_ms: round3(arr.length ? arr[arr.length - 1]! : Number.NaN),
    mean_ms: round3(mean),
  };
}

/** Items per second, rounded to a whole number. */
export const rate = (count: number, ms: number) => Math.round((count * 1000) / Math.max(ms, 1e-6));

export const ratio = (a: number | undefined, b: number | undefined) =>
  a !== undefined && b !== undefined && b > 0 && Number.isFinite(a) ? Math.round((a / b) * 1000) / 1000 : null;

/** The repetition with the highest value of `key`: noise on a shared machine only ever slows a run down. */
export function best<T>(runs: readonly T[], key: (r: T) => number): T {
  return runs.reduce((a, b) => (key(b) > key(a) ? b : a));
}

export const median = (xs: readonly number[]) => percentile([...xs].sort((a, b) => a - b), 50);
