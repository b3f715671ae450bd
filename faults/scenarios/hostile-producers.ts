import { HOSTILE_MODES, hostileKey } from '../processes/misbehave.js';
import type { StoreKind } from '../processes/config.js';
import { sleep } from '../util.js';
import { seed } from '../world/seed.js';
import { finish, summarize, withWorld, writerLoad } from './common.js';
import { withMysqlLock } from './blocked-heads.js';
import { bySize, scaled, type Scenario, type ScenarioContext } from './types.js';

/**
 * A producer is user code, and user code answers badly: an array, `true`, `{ failed: [] }`
 * without `ok`, a throw after publishing part of the batch, the right answer after the produce
 * deadline. None of it may lose a message, leave a connection checked out of the relay's pool
 * once it stopped, or hold back messages the bad answer was not about beyond the stall bound.
 */
export const hostileProducers: Scenario = {
  name: 'hostile producers',
  summary: 'Batches holding certain keys get a wrong-shaped answer (array, true, { failed: [] }), a throw after a partial publish, or an answer after the deadline, among healthy traffic.',
  tiers: ['full'],
  async run(ctx) {
    const rows = [];
    for (const kind of withMysqlLock(ctx.stores)) rows.push(await hostileOn(ctx, kind));
    return rows;
  },
};

async function hostileOn(ctx: ScenarioContext, kind: StoreKind) {
  const started = Date.now();
  const claimTimeoutMs = 2000;
  const produceTimeoutMs = claimTimeoutMs / 2;
  const rounds = scaled(ctx, bySize(ctx, 3, 8));
  return withWorld(ctx, { label: 'hostile', kind, keys: 20, claimTimeoutMs }, async (w) => {
    w.startConsumer();
    for (let i = 0; i < 2; i++) w.startRelay({ produceTimeoutMs, retryMs: 100, maxAttempts: 20, hostile: { lateMs: produceTimeoutMs + 500 } });
    w.startWriters(2, writerLoad(kind, { connections: 2, paceMs: 30 }));
    for (let round = 0; round < rounds; round++) {
      await sleep(1000);
      // Two messages per hostile key, so its order is checked too.
      await seed(w, HOSTILE_MODES.flatMap((mode) => [1, 2].map((v) => ({ key: hostileKey(mode, round), v }))));
    }
    await sleep(2000);
    const notes = await finish(w, 60_000);
    const crashed = w.relays.filter((r) => r.events.some((e) => e.ev === 'crash'));
    if (crashed.length > 0) notes.push(`${crashed.length} relay processes crashed: ${String(crashed[0]!.events.find((e) => e.ev === 'crash')?.error)}`);
    const claimFailures = w.relays.flatMap((r) => r.events.filter((e) => e.ev === 'relay' && e.type === 'claim.failed'));
    if (claimFailures.length > 0) notes.push(`claim loop failures reported ${claimFailures.length} times (rate-limited): ${String(claimFailures[0]!.error)}`);
    notes.push(`${rounds} rounds of ${HOSTILE_MODES.length} hostile keys (${HOSTILE_MODES.join(', ')}), each misanswered once per relay`);
    return summarize(w, { scenario: 'hostile producers', store: kind, trials: rounds * HOSTILE_MODES.length, started, notes });
  });
}
