import { createRelay, type ProduceFn, type Relay, type RelayEvent, type RelayEventListener } from '../../src/core/index.js';
import { DEFAULT_BATCH_SIZE } from '../../src/core/relay-options.js';
import type { ClaimMode } from '../../src/stores/postgres/index.js';
import { waitUntil } from './log.js';
import { makeStore, type BenchDatabase } from './pg.js';
import { rate } from './stats.js';

export interface RelaySpec {
  relays: number;
  batchSize?: number;
  concurrency?: number;
  claimMode?: ClaimMode;
}

export const describeSpec = (s: RelaySpec) =>
  `${s.relays} relay${s.relays > 1 ? 's' : ''}, batchSize ${s.batchSize ?? `default (${DEFAULT_BATCH_SIZE})`}, concurrency ${s.concurrency ?? 1}, ${s.claimMode ?? 'lock'} claims`;

export interface DrainRun {
  messages: number;
  ms: number;
  msgs_per_s: number;
  batches: number;
}

/**
 * Starts `spec.relays` txbox relays (each with its own pool and store) on a table that already
 * holds `n` pending messages, and times them until `n` deliveries are acknowledged.
 */
export async function drainWithRelays(
  db: BenchDatabase,
  table: string,
  n: number,
  spec: RelaySpec,
  produce: ProduceFn = () => {},
  timeoutMs = 600_000,
  /** Another listener of the relays' events (the OpenTelemetry workload's metrics). */
  observe?: RelayEventListener,
): Promise<DrainRun> {
  let settled = 0;
  let batches = 0;
  const onEvent = (e: RelayEvent) => {
    observe?.(e);
    if (e.type === 'batch.settled') {
      settled += e.delivered;
      batches++;
    }
  };
  const relays: Relay[] = [];
  const pools = [];
  for (let r = 0; r < spec.relays; r++) {
    const pool = db.pool((spec.concurrency ?? 1) + 2);
    pools.push(pool);
    await pool.query('SELECT 1');
    const store = await makeStore(pool, table, { claimMode: spec.claimMode ?? 'lock' });
    relays.push(createRelay({ store, producer: produce, batchSize: spec.batchSize, concurrency: spec.concurrency, onEvent, watch: false }));
  }
  const start = performance.now();
  relays.forEach((r) => r.start());
  let ms: number;
  try {
    await waitUntil(() => settled >= n, timeoutMs, `${n} messages drained by ${describeSpec(spec)}`, 1);
    ms = performance.now() - start;
  } finally {
    await Promise.all(relays.map((r) => r.stop()));
    await Promise.all(pools.map((p) => db.close(p)));
  }
  return { messages: settled, ms: Math.round(ms), msgs_per_s: rate(settled, ms), batches };
}
