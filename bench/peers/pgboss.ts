import PgBoss from 'pg-boss';
import type { BenchDatabase } from '../lib/pg.js';
import type { Peer, PeerPayload } from './peer.js';

const QUEUE = 'bench';

/**
 * pg-boss 10. Defaults: `work()` fetches 1 job per poll every 2 s. Best documented settings: a
 * large `batchSize`, the minimum `pollingIntervalSeconds` (0.5) and several workers (each
 * `work()` call adds one). pg-boss has no LISTEN/NOTIFY wake-up: a worker polls.
 */
export function pgBossPeer(db: BenchDatabase): Peer {
  const boss = new PgBoss({ connectionString: db.url, max: 12, schema: 'pgboss_bench' });
  boss.on('error', () => {});
  const best = { batchSize: 500, pollingIntervalSeconds: 0.5, workers: 8 };
  return {
    name: 'pg-boss',
    variants: {
      defaults: 'work() with its defaults: batchSize 1, pollingIntervalSeconds 2, 1 worker',
      best: `batchSize ${best.batchSize}, pollingIntervalSeconds ${best.pollingIntervalSeconds} (the minimum), ${best.workers} workers`,
    },
    async setup() {
      await boss.start();
      await boss.createQueue(QUEUE);
    },
    async enqueue(client, payload) {
      await boss.send(QUEUE, payload, { db: { executeSql: (text, values) => client.query(text, values) } });
    },
    async bulkLoad(n) {
      for (let from = 0; from < n; from += 1000) {
        const jobs = Array.from({ length: Math.min(1000, n - from) }, (_, i) => ({ name: QUEUE, data: { seq: from + i, amount: 42.5 } }));
        await boss.insert(jobs);
      }
    },
    async consume(variant, handle) {
      const options = variant === 'best' ? { batchSize: best.batchSize, pollingIntervalSeconds: best.pollingIntervalSeconds } : {};
      const workers = variant === 'best' ? best.workers : 1;
      for (let w = 0; w < workers; w++) {
        await boss.work<PeerPayload>(QUEUE, options, async (jobs) => {
          for (const job of jobs) handle(job.data);
        });
      }
      return () => boss.offWork(QUEUE);
    },
    async reset() {
      // Completed and left-over jobs of the last run go, so every run starts from an empty queue.
      const pool = db.pool(1);
      await pool.query(`DELETE FROM pgboss_bench.job WHERE name = $1`, [QUEUE]);
      await db.close(pool);
    },
    async close() {
      await boss.stop({ graceful: false, wait: true, timeout: 5000 });
    },
  };
}
