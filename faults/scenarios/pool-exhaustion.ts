import { progress } from '../log.js';
import type { StoreKind } from '../processes/config.js';
import { sleep, waitAtMost } from '../util.js';
import { withMysqlLock } from './blocked-heads.js';
import { finish, summarize, withWorld, writerLoad } from './common.js';
import { bySize, scaled, type Scenario, type ScenarioContext } from './types.js';

/**
 * The application's pool saturated by its own work: in every relay process at once, long
 * transactions check out every connection of the pool the relay shares with the application and
 * hold them for longer than the pool's connection timeout (10 s), while writers and the consumer
 * go on. Claims and acknowledgements wait or fail meanwhile; once the transactions end the relays
 * must recover by themselves, lose nothing, and deliver within the stall bound measured from the
 * end of the saturation (the saturation itself counts as an outage). On SQLite, which has no pool,
 * the application holds the write lock (BEGIN IMMEDIATE) for a while instead.
 */
export const poolExhaustion: Scenario = {
  name: 'pool exhaustion',
  summary: "Every relay process's pool checked out by the application's own long transactions for 12 s (SQLite: the write lock held 3 s), while writers and the consumer run.",
  tiers: ['full'],
  async run(ctx) {
    const rows = [];
    for (const kind of withMysqlLock(ctx.stores)) rows.push(await exhaustOn(ctx, kind));
    return rows;
  },
};

async function exhaustOn(ctx: ScenarioContext, kind: StoreKind) {
  const started = Date.now();
  const trials = scaled(ctx, bySize(ctx, 1, 2));
  // Beyond the pool's 10 s connection timeout; SQLite's claims wait on the lock synchronously (busy_timeout 10 s).
  const forMs = kind === 'sqlite' ? 3000 : 12_000;
  return withWorld(ctx, { label: 'pool', kind, keys: 20, claimTimeoutMs: 2000 }, async (w) => {
    w.startConsumer();
    const at = Array.from({ length: trials }, (_, i) => Date.now() + 6000 + i * (forMs + 6000));
    // Every relay saturates its own pool at the same moments; SQLite has one write lock for all, held by one of them.
    const hogs = kind === 'sqlite' ? 1 : 2;
    for (let i = 0; i < 2; i++) w.startRelay(i < hogs ? { hog: { at, forMs } } : {});
    w.startWriters(2, { ...writerLoad(kind, { connections: 2, paceMs: 20, commitDelay: 30 }), delayedRate: 0.05, delayMs: 500 });
    for (let trial = 0; trial < trials; trial++) {
      const held = () => w.relays.flatMap((r) => r.events.filter((e) => e.ev === 'hog' && (e.error !== undefined || Number(e.from) >= at[trial]! - 1000)));
      await waitAtMost(() => held().length >= hogs, at[trial]! - Date.now() + forMs + 30_000, 50);
      const failed = held().filter((e) => e.error !== undefined);
      if (failed.length > 0) throw new Error(`saturating the pool failed: ${String(failed[0]!.error)}`);
      const from = Math.min(...held().map((e) => Number(e.from)));
      const to = Math.max(...held().map((e) => Number(e.to)));
      w.faults.push({ what: 'pool saturated', at: from, restoredAt: to });
      progress(`pool exhaustion ${trial + 1}/${trials} on ${kind}: every relay's pool held for ${to - from} ms`);
    }
    await sleep(3000);
    const notes = await finish(w, 60_000);
    const heldMs = w.faults.map((f) => (f.restoredAt ?? f.at) - f.at);
    notes.push(`${trials} saturations of ${kind === 'sqlite' ? 'the write lock by a second connection of one relay process' : "all 3 connections of every relay process's pool"}, planned ${forMs / 1000} s, held ${heldMs.map((ms) => (ms / 1000).toFixed(1)).join(' s, ')} s`);
    return summarize(w, { scenario: 'pool exhaustion', store: kind, trials, started, notes });
  });
}
