import type { BenchConfig } from '../lib/args.js';
import { progress } from '../lib/log.js';
import { bulkLoad, makeStore, type BenchDatabase } from '../lib/pg.js';
import { rawDrain } from '../lib/raw.js';
import { inRounds, variantPerRound } from '../lib/rounds.js';
import { drainWithRelays, type DrainRun } from '../lib/relays.js';
import { best, ratio } from '../lib/stats.js';
import { openNats } from '../brokers/nats.js';
import { openRabbitMq, type BrokerRig } from '../brokers/rabbitmq.js';
import { DEFAULT_BATCH_SIZE } from '../../src/core/relay-options.js';
import { BROKER_MAX_IN_FLIGHT } from '../../src/transports/shared/options.js';

const TABLE = 'broker_outbox';

interface BrokerFigures {
  variants: Record<string, DrainRun & { setup: string; runs_msgs_per_s: number[] }>;
  /** Best txbox variant / best hand-written confirmed-publish variant, same run. */
  ratio: number | null;
  /** The same ratio within each round (variants back to back), and its median. */
  ratio_per_round: (number | null)[];
  ratio_median: number | null;
  /** The relay and transport at their defaults / the hand-written confirmed-publish loop (one loop), per round, and their median. */
  defaults_per_round: (number | null)[];
  defaults_median: number | null;
}

export type BrokerResult = Record<string, BrokerFigures | { error: string }>;

/**
 * Workload 4: the same backlog delivered to a broker with confirms, by the txbox relay with its
 * transport and by a hand-written loop.
 */
export async function runBroker(db: BenchDatabase, cfg: BenchConfig): Promise<BrokerResult> {
  const n = cfg.messages;
  const admin = db.pool(2);
  await makeStore(admin, TABLE);
  const out: BrokerResult = {};
  for (const open of [openRabbitMq, openNats]) {
    let rig: BrokerRig;
    try {
      rig = await open();
    } catch (error) {
      const name = open === openRabbitMq ? 'rabbitmq' : 'nats';
      out[name] = { error: `broker unreachable: ${(error as Error).message}` };
      progress(`broker ${name}: skipped (${(error as Error).message})`);
      continue;
    }
    try {
      const variants: Record<string, { setup: string; run: () => Promise<DrainRun> }> = {
        raw: { setup: 'hand-written loop: batch 500, publish all, wait for every confirm, DELETE, COMMIT', run: () => rawDrain(db, TABLE, n, 1, { produce: (rows) => rig.publishRaw(rows) }) },
        raw_2: { setup: 'two hand-written loops sharing the broker connection', run: () => rawDrain(db, TABLE, n, 2, { produce: (rows) => rig.publishRaw(rows) }) },
        txbox_default: { setup: `relay defaults (batch ${DEFAULT_BATCH_SIZE}) + transport defaults (maxInFlight ${BROKER_MAX_IN_FLIGHT})`, run: () => drainWithRelays(db, TABLE, n, { relays: 1 }, rig.producer()) },
        txbox_b500_inflight500: { setup: 'relay batchSize 500 + transport maxInFlight 500', run: () => drainWithRelays(db, TABLE, n, { relays: 1, batchSize: 500 }, rig.producer(500)) },
        txbox_b500_inflight500_c2: { setup: 'relay batchSize 500, concurrency 2 + transport maxInFlight 500', run: () => drainWithRelays(db, TABLE, n, { relays: 1, batchSize: 500, concurrency: 2 }, rig.producer(500)) },
      };
      const names = Object.keys(variants);
      // Brokers share the two cores with PostgreSQL and the relay, and move the most: more rounds.
      const { runs, ratio_per_round, ratio_median } = await inRounds(
        names,
        cfg.shortRounds,
        async (name, round) => {
          await bulkLoad(admin, TABLE, n);
          await rig.purge();
          const run = await variants[name]!.run();
          const arrived = await rig.count();
          if (arrived < n) throw new Error(`${rig.name} ${name}: ${arrived} of ${n} messages arrived`);
          progress(`broker ${rig.name} ${name} round ${round + 1}: ${run.msgs_per_s} msgs/s`);
          return run;
        },
        (r) => r.msgs_per_s,
      );
      const variantsOut: BrokerFigures['variants'] = {};
      for (const name of names) variantsOut[name] = { ...best(runs[name]!, (r) => r.msgs_per_s), setup: variants[name]!.setup, runs_msgs_per_s: runs[name]!.map((r) => r.msgs_per_s) };
      const bestOf = (prefix: string) => Math.max(...names.filter((x) => x.startsWith(prefix)).map((x) => variantsOut[x]!.msgs_per_s));
      const defaults = variantPerRound(runs, 'txbox_default', ['raw'], (r) => r.msgs_per_s);
      out[rig.name] = { variants: variantsOut, ratio: ratio(bestOf('txbox'), bestOf('raw')), ratio_per_round, ratio_median, defaults_per_round: defaults.per_round, defaults_median: defaults.median };
    } finally {
      await rig.purge().catch(() => {});
      await rig.close();
    }
  }
  await db.close(admin);
  return out;
}
