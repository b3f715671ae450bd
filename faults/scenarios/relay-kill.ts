import { statSync } from 'node:fs';
import { progress } from '../log.js';
import type { FailpointName, StoreKind } from '../processes/config.js';
import { waitAtMost } from '../util.js';
import type { World } from '../world/world.js';
import { armedRelay, finish, randomInt, summarize, withWorld, writerLoad } from './common.js';
import { bySize, scaled, type Scenario, type ScenarioContext } from './types.js';

const POINTS: readonly FailpointName[] = ['claim.after', 'produce.after-publish', 'settle.before-commit', 'inbox.after-effect'];

/**
 * SIGKILL at each named failpoint, one trial after another, while writers keep committing and a
 * healthy relay keeps running: the killed relay's claim must go to another relay (lock: at once;
 * lease: when it expires), and a consumer killed inside its effect transaction must not apply
 * the effect twice.
 */
export const relayKill: Scenario = {
  name: 'kill-9 at failpoints',
  summary: 'SIGKILL of a relay after claiming, after publishing (before acknowledging), and before the acknowledgement commits; SIGKILL of the inbox consumer after its effect, before commit.',
  tiers: ['smoke', 'full'],
  async run(ctx) {
    const trials = scaled(ctx, bySize(ctx, 1, 20));
    const rows = [];
    for (const [i, kind] of ctx.stores.entries()) {
      // The smoke tier runs every point on every other store (each point still on two stores,
      // each store on two points when all four run): half the rows, to keep CI within minutes.
      const points = ctx.tier === 'smoke' && ctx.stores.length > 1 ? POINTS.filter((_, j) => (i + j) % 2 === 0) : POINTS;
      for (const point of points) rows.push(await killAt(ctx, kind, point, trials));
    }
    return rows;
  },
};

async function killAt(ctx: ScenarioContext, kind: StoreKind, point: FailpointName, trials: number) {
  const started = Date.now();
  return withWorld(ctx, { label: `kill-${point.replace(/\W/g, '')}`, kind, keys: 20, claimTimeoutMs: 2000 }, async (w) => {
    w.startConsumer();
    w.startRelay();
    w.startWriters(2, { ...writerLoad(kind, { connections: 4, paceMs: 20, commitDelay: 30 }), delayedRate: 0.05, delayMs: 500 });
    const consumerTimings = [];
    let done = 0;
    for (let trial = 0; trial < trials; trial++) {
      if (point === 'inbox.after-effect') {
        const t = await killConsumer(w);
        if (t) consumerTimings.push(t);
        if (t) done++;
      } else {
        const { fault } = await armedRelay(w, { point, action: 'kill', hit: randomInt(1, 4) }, 20_000);
        if (fault) done++;
      }
    }
    progress(`kill at ${point} on ${kind}: ${done} of ${trials} trials fired`);
    const notes = await finish(w, 60_000);
    if (done < trials) notes.push(`only ${done} of ${trials} failpoints fired`);
    return summarize(w, { scenario: 'kill-9 at failpoints', store: `${kind} @ ${point}`, trials: done, started, notes, ...(point === 'inbox.after-effect' ? { timings: consumerTimings } : {}) });
  });
}

/**
 * Replaces the consumer with one that dies inside its effect transaction, then with a healthy
 * one. Detect: kill to the first commit of the new consumer; recover: until it has applied
 * everything the sink held at the kill.
 */
async function killConsumer(w: World): Promise<{ detectMs: number | null; recoverMs: number | null } | undefined> {
  await w.consumer?.stop();
  const armed = w.startConsumer([{ point: 'inbox.after-effect', action: 'kill', hit: randomInt(1, 40) }]);
  const fired = await armed.waitFor((e) => e.ev === 'fp', 20_000);
  if (!fired) return undefined;
  await armed.exited;
  const path = w.sink.kind === 'file' ? w.sink.path : '';
  const sizeAtKill = statSync(path).size;
  const next = w.startConsumer();
  const progressed = await waitAtMost(() => next.lastProgress !== undefined, 20_000, 5);
  const detectMs = progressed ? next.lastProgress!.at - fired.at : null;
  const caughtUp = await waitAtMost(() => Number(next.lastProgress?.offset ?? 0) >= sizeAtKill, 30_000, 5);
  return { detectMs, recoverMs: caughtUp ? next.lastProgress!.at - fired.at : null };
}
