import { Command } from 'commander';
import { formatMs } from '../duration.js';
import { print, storeOptions, withStore, type StoreFlags } from './common.js';

interface StatsLike {
  pending: number;
  due: number;
  delayed: number;
  inFlight: number;
  dead: number;
  lagMs: number;
}

/** Past this many dead letters a store without stats() is reported as "at least". */
const DEAD_SCAN_LIMIT = 10_000;

export function statsCommand(): Command {
  return storeOptions(new Command('stats'))
    .description('counts and lag of the outbox: pending, due, delayed, in flight, dead, age of the oldest due message')
    .argument('<store>', 'postgres://…, mysql://…, sqlite://<file> or a SQLite file path')
    .option('--json', 'print the counts as JSON')
    .action(async (url: string, flags: StoreFlags) => {
      await withStore(url, flags, async ({ store }) => {
        const withStats = store as { stats?: () => Promise<StatsLike> };
        if (typeof withStats.stats === 'function') {
          const s = await withStats.stats();
          print(flags.json, { outbox: store.key, ...s }, () =>
            `pending ${s.pending} (due ${s.due}, delayed ${s.delayed}, in flight ${s.inFlight})\ndead ${s.dead}\nlag ${formatMs(s.lagMs)}`,
          );
          return;
        }
        // A store of a txbox without stats(): the dead letters can still be counted.
        const dead = (await store.listDeadLetters({ limit: DEAD_SCAN_LIMIT })).length;
        const atLeast = dead >= DEAD_SCAN_LIMIT;
        const note = 'this store has no stats(): pending counts and lag need a txbox whose stores answer stats()';
        print(flags.json, { outbox: store.key, dead, deadAtLeast: atLeast, note }, () => `dead ${atLeast ? 'at least ' : ''}${dead}\nnote: ${note}`);
      });
    });
}
