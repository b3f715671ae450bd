import { Logger, run, runMigrations, type Runner } from 'graphile-worker';
import type { BenchDatabase } from '../lib/pg.js';
import type { Peer, PeerPayload } from './peer.js';

const silent = new Logger(() => () => {});

/**
 * graphile-worker 0.17. Defaults: concurrency 1, a job fetched per worker, LISTEN/NOTIFY wake-up
 * (add_job notifies in the writer's transaction). Best: the settings of its performance page
 * (24 concurrent jobs, pool of 25, localQueue of 500, batched completion).
 */
export function graphilePeer(db: BenchDatabase): Peer {
  const pool = db.pool(2);
  const best = { concurrency: 24, maxPoolSize: 25, localQueue: 500 };
  return {
    name: 'graphile-worker',
    variants: {
      defaults: 'run() with its defaults: concurrency 1, pollInterval 2000, no local queue, LISTEN/NOTIFY',
      best: `concurrency ${best.concurrency}, maxPoolSize ${best.maxPoolSize}, localQueue.size ${best.localQueue}, completeJobBatchDelay 0, failJobBatchDelay 0`,
    },
    async setup() {
      await runMigrations({ connectionString: db.url, logger: silent });
    },
    async enqueue(client, payload) {
      await client.query(`SELECT graphile_worker.add_job('bench', $1::json)`, [JSON.stringify(payload)]);
    },
    async bulkLoad(n) {
      for (let from = 0; from < n; from += 10_000) {
        await pool.query(
          `SELECT graphile_worker.add_jobs(ARRAY(
             SELECT ROW('bench', json_build_object('seq', g, 'amount', 42.5), NULL, NULL, NULL, NULL, NULL, NULL)::graphile_worker.job_spec
             FROM generate_series($1::int, $2::int) g))`,
          [from, Math.min(n, from + 10_000) - 1],
        );
      }
    },
    async consume(variant, handle) {
      const taskList = {
        bench: async (payload: unknown) => {
          handle(payload as PeerPayload);
        },
      };
      const runner: Runner = await run({
        connectionString: db.url,
        logger: silent,
        noHandleSignals: true,
        taskList,
        ...(variant === 'best'
          ? {
              concurrency: best.concurrency,
              maxPoolSize: best.maxPoolSize,
              preset: { worker: { localQueue: { size: best.localQueue }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } },
            }
          : {}),
      });
      return () => runner.stop();
    },
    async reset() {
      await pool.query(`DELETE FROM graphile_worker._private_jobs`);
    },
    async close() {
      await db.close(pool);
    },
  };
}
