import { progress } from '../log.js';
import type { FailpointAction, FailpointName, StoreKind } from '../processes/config.js';
import { sleep } from '../util.js';
import { armedRelay, finish, randomInt, resumeWhenPaused, summarize, withWorld, writerLoad } from './common.js';
import { bySize, scaled, type Scenario, type ScenarioContext } from './types.js';

const RELAY_POINTS: readonly FailpointName[] = ['claim.after', 'produce.after-publish', 'settle.before-commit'];
const CLAIM_TIMEOUT = 2000;

/**
 * The other ways a process fails at the same places: an exception, an event loop stalled past
 * the claim timeout (a long GC or a blocking call), and a process stopped past it (SIGSTOP, a VM
 * freeze). The stalled or paused relay wakes up as a zombie: it must not publish a batch it no
 * longer owns, nor acknowledge one; the others must have taken its work over meanwhile.
 */
export const failpointActions: Scenario = {
  name: 'throw, stall and pause at failpoints',
  summary: 'A relay throws, stalls its event loop, or is SIGSTOPped past its claim timeout at each failpoint (the consumer likewise inside its effect), then carries on as a zombie.',
  tiers: ['smoke', 'full'],
  async run(ctx) {
    const rows = [];
    const actions: FailpointAction[] = ctx.tier === 'smoke' ? ['pause'] : ['throw', 'stall', 'pause'];
    const kinds = ctx.tier === 'smoke' ? ctx.stores.filter((k) => k === 'postgres-lease') : ctx.stores;
    for (const kind of kinds) {
      for (const action of actions) rows.push(await actAt(ctx, kind, action, scaled(ctx, bySize(ctx, 1, 5))));
    }
    return rows;
  },
};

async function actAt(ctx: ScenarioContext, kind: StoreKind, action: FailpointAction, rounds: number) {
  const started = Date.now();
  // Past the claim timeout, so the work is taken over while the process is out.
  const ms = action === 'throw' ? 0 : Math.round(CLAIM_TIMEOUT * 1.5);
  return withWorld(ctx, { label: `${action}-fp`, kind, keys: 20, claimTimeoutMs: CLAIM_TIMEOUT }, async (w) => {
    w.startConsumer();
    w.startRelay();
    w.startWriters(2, { ...writerLoad(kind, { connections: 4, paceMs: 20, commitDelay: 30 }), delayedRate: 0.05, delayMs: 500 });
    let fired = 0;
    for (let round = 0; round < rounds; round++) {
      const zombies = [];
      for (const point of RELAY_POINTS) {
        const { relay, fault } = await armedRelay(w, { point, action, hit: randomInt(1, 4), ms }, 20_000);
        if (fault) fired++;
        zombies.push(relay);
      }
      // The consumer: the same action inside its effect transaction.
      await w.consumer?.stop();
      const armed = w.startConsumer([{ point: 'inbox.after-effect', action, hit: randomInt(1, 40), ms }], resumeWhenPaused);
      if (await armed.waitFor((e) => e.ev === 'fp', 20_000)) fired++;
      await sleep(ms + 500);
      // Zombies that survived keep relaying with everyone else until the end.
      progress(`${action} round ${round + 1} on ${kind}: ${zombies.filter((z) => z.running).length} of ${zombies.length} relays still running`);
    }
    const counts = w.relays.map((r) => r.events.find((e) => e.ev === 'relay' && e.type === 'batch.expired')).filter(Boolean).length;
    const notes = await finish(w, 60_000);
    const stopped = w.relays.flatMap((r) => r.events.filter((e) => e.ev === 'stopped'));
    const refused = stopped.reduce((n, e) => n + Number((e.counts as Record<string, number>).lostClaims ?? 0), 0);
    const crashed = w.relays.filter((r) => r.events.some((e) => e.ev === 'crash')).length;
    notes.push(`${counts} relays released an expired batch unpublished; ${refused} acknowledgements of lost claims were refused`);
    if (crashed > 0) notes.push(`${crashed} relay processes crashed`);
    if (fired < rounds * (RELAY_POINTS.length + 1)) notes.push(`only ${fired} of ${rounds * (RELAY_POINTS.length + 1)} failpoints fired`);
    return summarize(w, { scenario: 'throw, stall and pause at failpoints', store: `${kind} / ${action}`, trials: fired, started, notes });
  });
}
