/**
 * Child process of the scale workload: one txbox relay (or the hand-written loop) drains a table
 * that already holds `n` messages, then prints one JSON line with its time and peak memory. It
 * runs alone in its process so its RSS is the relay's own.
 */
import pg from 'pg';
import { createRelay } from '../src/core/index.js';
import { createPostgresStore } from '../src/stores/postgres/index.js';
import { rawDrainBatch } from './lib/raw.js';

const [url, table, count, mode, batch] = process.argv.slice(2);
const n = Number(count);
const batchSize = Number(batch ?? 500);
const pool = new pg.Pool({ connectionString: url, max: 3 });
pool.on('error', () => {});

let peakRss = 0;
let peakHeap = 0;
const sample = () => {
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
  peakHeap = Math.max(peakHeap, m.heapUsed);
};
await pool.query('SELECT 1');
sample();
const startRss = peakRss;
const sampler = setInterval(sample, 20);
const start = performance.now();
let drained = 0;
// The steady rate leaves out the first batch (connections, JIT): small backlogs are otherwise all start-up.
let firstAt = 0;
let firstCount = 0;
const mark = () => {
  if (firstAt === 0 && drained > 0) {
    firstAt = performance.now();
    firstCount = drained;
  }
};
if (mode === 'txbox') {
  const store = createPostgresStore({ pool, table });
  const relay = createRelay({
    store,
    producer: () => {},
    batchSize,
    watch: false,
    onEvent: (e) => {
      if (e.type === 'batch.settled') {
        drained += e.delivered;
        mark();
      }
    },
  });
  relay.start();
  while (drained < n) await new Promise((r) => setTimeout(r, 2));
  await relay.stop();
} else {
  const client = await pool.connect();
  for (let got = -1; got !== 0; mark()) {
    got = await rawDrainBatch(client, table!, batchSize, () => {});
    drained += got;
  }
  client.release();
}
const end = performance.now();
const ms = end - start;
const steady = drained > firstCount && end > firstAt ? Math.round(((drained - firstCount) * 1000) / (end - firstAt)) : 0;
clearInterval(sampler);
sample();
await pool.end();
const mb = (b: number) => Math.round((b / 1048576) * 10) / 10;
process.stdout.write(
  `${JSON.stringify({ messages: drained, ms: Math.round(ms), steady_msgs_per_s: steady, rss_start_mb: mb(startRss), rss_peak_mb: mb(peakRss), heap_peak_mb: mb(peakHeap), max_rss_mb: mb(process.resourceUsage().maxRSS * 1024) })}\n`,
);
