import type { StoreKind } from '../processes/config.js';
import { sleep } from '../util.js';
import { armedRelay, finish, randomInt, summarize, withWorld, writerLoad } from './common.js';
import { bySize, scaled, type Scenario, type ScenarioContext } from './types.js';

/**
 * Relays whose clocks are wrong: 30 s ahead, 30 s behind, running at half speed and at double
 * speed, with a relay killed now and then so claims change hands. On PostgreSQL, leases and
 * availability are decided by the database's clock, so nothing may change: no message early,
 * none lost, none out of order. (SQLite has no server clock and every process on one machine
 * shares the system clock, so the scenario does not apply to it. MariaDB takes its time from the
 * server too.)
 */
export const clockSkew: Scenario = {
  name: 'relay clock skew',
  summary: 'Relays 30 s ahead, 30 s behind, at half and double speed, with kills; 20% of messages delayed by 1 s.',
  tiers: ['full'],
  async run(ctx) {
    const rows = [];
    for (const kind of ctx.stores.filter((k) => k !== 'sqlite')) rows.push(await skewOn(ctx, kind));
    return rows;
  },
};

async function skewOn(ctx: ScenarioContext, kind: StoreKind) {
  const started = Date.now();
  const trials = scaled(ctx, bySize(ctx, 2, 6));
  return withWorld(ctx, { label: 'skew', kind, keys: 20, claimTimeoutMs: 2000 }, async (w) => {
    w.startConsumer();
    w.startRelay({ skewMs: 30_000 });
    w.startRelay({ skewMs: -30_000 });
    w.startRelay({ clockRate: 0.5 });
    w.startRelay({ clockRate: 2 });
    w.startWriters(2, { ...writerLoad(kind, { connections: 4, paceMs: 10, commitDelay: 30 }), delayedRate: 0.2, delayMs: 1000 });
    let fired = 0;
    for (let i = 0; i < trials; i++) {
      await sleep(1000);
      const skew = [30_000, -30_000, 0, 0][i % 4]!;
      const { fault } = await armedRelay(w, { point: 'produce.after-publish', action: 'kill', hit: randomInt(1, 4) }, 20_000);
      if (fault) fired++;
      w.startRelay({ skewMs: skew, clockRate: i % 4 === 2 ? 0.5 : 1 });
    }
    await sleep(1000);
    const notes = await finish(w, 60_000);
    return summarize(w, { scenario: 'relay clock skew', store: kind, trials: fired, started, notes });
  });
}
