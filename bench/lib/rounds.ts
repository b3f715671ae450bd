import { createRelay, type OutboxStore } from '../../src/core/index.js';
import { waitUntil } from './log.js';
import { best, median, rate, ratio } from './stats.js';

/** A count done in a time, and its rate. */
export interface Rate {
  n: number;
  ms: number;
  per_s: number;
}

/** The rate of `n` done since `start` (a performance.now() reading). */
export function since(n: number, start: number): Rate {
  const ms = performance.now() - start;
  return { n, ms: Math.round(ms), per_s: rate(n, ms) };
}

/** The best run of each variant, with every run's rate beside it. */
export function pickBest(runs: Record<string, Rate[]>): Record<string, Rate & { runs_per_s: number[] }> {
  return Object.fromEntries(Object.entries(runs).map(([name, list]) => [name, { ...best(list, (r) => r.per_s), runs_per_s: list.map((r) => r.per_s) }]));
}

/** One workload's figures on one store: the best run of each variant and the per-round comparison. */
export interface Compared {
  variants: Record<string, Rate & { runs_per_s: number[] }>;
  ratio_per_round: (number | null)[];
  ratio_median: number | null;
}

export interface RoundsResult<R> {
  /** Every run of every variant, in round order. */
  runs: Record<string, R[]>;
  /** Per round: the best `txbox` variant / the best `raw` variant of that round (they ran back to back). */
  ratio_per_round: (number | null)[];
  ratio_median: number | null;
}

/**
 * Runs every variant once per round, rotating their order so none always runs first, and
 * compares the best txbox variant with the best hand-written one within each round. Variants
 * are told apart by name prefix (`txbox` and `raw` unless `compared` says otherwise); others (a
 * baseline) are run and reported, not compared.
 */
export async function inRounds<R>(
  names: readonly string[],
  rounds: number,
  run: (name: string, round: number) => Promise<R>,
  score: (r: R) => number,
  compared = { txbox: 'txbox', raw: 'raw' },
): Promise<RoundsResult<R>> {
  const runs: Record<string, R[]> = Object.fromEntries(names.map((n) => [n, []]));
  const perRound: (number | null)[] = [];
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(k + round) % names.length]!;
      runs[name]!.push(await run(name, round));
    }
    const bestOf = (prefix: string) => Math.max(...names.filter((n) => n.startsWith(prefix)).map((n) => score(runs[n]![round]!)));
    perRound.push(ratio(bestOf(compared.txbox), bestOf(compared.raw)));
  }
  const valid = perRound.filter((x): x is number => x !== null);
  return { runs, ratio_per_round: perRound, ratio_median: valid.length ? median(valid) : null };
}

/** Starts one relay (batch 500, no-op producer) on a store holding `n` pending messages and times it until all are acknowledged. */
export async function relayDrainRate(store: OutboxStore, n: number, what: string): Promise<Rate> {
  let done = 0;
  const relay = createRelay({ store, producer: () => {}, batchSize: 500, onEvent: (e) => void (e.type === 'batch.settled' && (done += e.delivered)) });
  const start = performance.now();
  relay.start();
  try {
    await waitUntil(() => done >= n, 120_000, `${n} messages drained from ${what}`, 1);
    return since(done, start);
  } finally {
    await relay.stop();
  }
}

/**
 * One variant against the best of others, within each round (they ran back to back), and the
 * median of those ratios: e.g. the relay at its defaults against the best hand-written loop.
 */
export function variantPerRound<R>(runs: Record<string, R[]>, variant: string, against: readonly string[], score: (r: R) => number): { per_round: (number | null)[]; median: number | null } {
  const perRound = runs[variant]!.map((r, round) => ratio(score(r), Math.max(...against.map((name) => score(runs[name]![round]!)))));
  const valid = perRound.filter((x): x is number => x !== null);
  return { per_round: perRound, median: valid.length ? median(valid) : null };
}
