import type { StoreKind } from '../processes/config.js';
import { sleep } from '../util.js';
import { finish, summarize, withWorld, writerLoad } from './common.js';
import { bySize, type Scenario, type ScenarioContext } from './types.js';

/**
 * Poison messages: the destination refuses them every time. Each must be retried, then become a
 * dead letter; while it is in backoff no later message of its key may overtake it; other keys
 * must not wait for it.
 */
export const poison: Scenario = {
  name: 'poison messages',
  summary: 'Messages the destination always refuses: retried, then dead-lettered; no later message of their key delivered before that; other keys unaffected.',
  tiers: ['smoke', 'full'],
  async run(ctx) {
    const rows = [];
    const kinds = ctx.tier === 'smoke' ? ctx.stores.filter((k) => k === 'postgres-lease' || k === 'sqlite') : ctx.stores;
    for (const kind of kinds) rows.push(await poisonOn(ctx, kind));
    return rows;
  },
};

async function poisonOn(ctx: ScenarioContext, kind: StoreKind) {
  const started = Date.now();
  return withWorld(ctx, { label: 'poison', kind, keys: 20, claimTimeoutMs: 2000 }, async (w) => {
    w.startConsumer();
    for (let i = 0; i < 2; i++) w.startRelay({ maxAttempts: 4, retryMs: 100 });
    w.startWriters(2, { ...writerLoad(kind, { connections: 4, paceMs: 20, commitDelay: 30 }), poisonRate: 0.03 });
    await sleep(bySize(ctx, 5000, 20_000));
    // Poison is drawn at random: on a slow machine a short run may not have committed any yet.
    const deadline = Date.now() + 30_000;
    while ((await w.observe()).committed.every((c) => !c.poison) && Date.now() < deadline) await sleep(500);
    const notes = await finish(w, 60_000);
    const row = await summarize(w, { scenario: 'poison messages', store: kind, trials: 1, started, notes });
    const expectedDead = (await w.observe()).committed.filter((c) => c.poison).length;
    row.notes.push(`${expectedDead} poison messages committed, ${row.dead_letters} dead letters`);
    row.trials = expectedDead;
    return row;
  });
}
