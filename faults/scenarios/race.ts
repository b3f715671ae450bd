import { isMysql, type StoreKind } from '../processes/config.js';
import { sleep } from '../util.js';
import { finish, isPostgres, summarize, withWorld } from './common.js';
import { bySize, scaled, type Scenario, type ScenarioContext } from './types.js';

/**
 * Many relays claiming from one outbox while many writers contend for the same aggregates, some
 * holding their transaction open before committing: positions commit out of order, every relay
 * sees a different snapshot, and per-key order must hold anyway (design guarantees 3 and 4).
 */
export const race: Scenario = {
  name: 'relays racing writers',
  summary: '4 relay processes (2 claim loops each) against 50 writer connections on 40 keys; 20% of transactions sleep up to 100 ms before commit, 10% roll back, 5% are delayed.',
  tiers: ['smoke', 'full'],
  async run(ctx) {
    const rows = [];
    const kinds = ctx.tier === 'smoke' ? ctx.stores.filter((k) => k === 'postgres-lock' || k === 'postgres-lease') : ctx.stores;
    for (const kind of kinds) rows.push(await raceOn(ctx, kind));
    return rows;
  },
};

async function raceOn(ctx: ScenarioContext, kind: StoreKind) {
  const started = Date.now();
  const seconds = scaled(ctx, bySize(ctx, 8, 30));
  return withWorld(ctx, { label: 'race', kind, keys: 40, claimTimeoutMs: 3000 }, async (w) => {
    w.startConsumer([], undefined, 100);
    for (let i = 0; i < 4; i++) w.startRelay({ concurrency: 2 });
    // SQLite has one writer at a time: four writer processes take turns on the file lock.
    const processes = kind === 'sqlite' ? 4 : 5;
    w.startWriters(processes, {
      connections: kind === 'sqlite' ? 1 : 10,
      paceMs: kind === 'sqlite' ? 2 : 0,
      transactions: 10_000_000,
      durationMs: seconds * 1000,
      rollbackRate: 0.1,
      commitDelayRate: isPostgres(kind) || isMysql(kind) ? 0.2 : 0,
      commitDelayMaxMs: 100,
      delayedRate: 0.05,
      delayMs: 300,
    });
    await sleep(seconds * 1000);
    const notes = await finish(w, 90_000);
    return summarize(w, { scenario: 'relays racing writers', store: kind, trials: 1, started, notes: [...notes, `${seconds} s of writes`] });
  });
}
