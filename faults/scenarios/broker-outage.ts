import { progress } from '../log.js';
import type { StoreKind } from '../processes/config.js';
import { brokerSinkConfig, ownBroker, type OwnBroker } from '../servers/brokers.js';
import { sleep, waitAtMost } from '../util.js';
import { finish, summarize, withWorld, writerLoad } from './common.js';
import { bySize, scaled, type Scenario, type ScenarioContext } from './types.js';

/**
 * The broker goes down while relays publish and comes back: publishes fail, messages wait in the
 * outbox (with backoff), and everything goes out once it is back, in order. Its consumer (txbox's
 * consumer helper, through the inbox) is also killed once with SIGKILL: the broker redelivers what
 * it had not acknowledged, and the inbox must keep the effect single.
 */
export const brokerOutage: Scenario = {
  name: 'broker down and back',
  summary: 'Each broker (its own instance) stopped for 30 s under load, then started again, with PostgreSQL, MariaDB and SQLite as the outbox; the broker consumer is SIGKILLed once as well.',
  tiers: ['smoke', 'full'],
  async run(ctx) {
    const brokers = ctx.tier === 'smoke' ? ctx.brokers.filter((b) => b === 'redis').slice(0, 1) : ctx.brokers;
    const rows = [];
    for (const brokerKind of brokers) {
      const broker = await ownBroker(brokerKind);
      try {
        await broker.start();
        progress(`own ${brokerKind} on 127.0.0.1:${broker.port}`);
        for (const kind of outboxes(ctx)) rows.push(await outage(ctx, broker, kind));
      } finally {
        await broker.dispose();
      }
    }
    return rows;
  },
};

/** The smoke tier: PostgreSQL (lease mode); the full tier adds MariaDB and SQLite as the outbox. */
function outboxes(ctx: ScenarioContext): StoreKind[] {
  const kinds = (['postgres-lease', 'mysql', 'sqlite'] as const).filter((k) => ctx.stores.includes(k));
  const chosen = ctx.tier === 'smoke' ? kinds.slice(0, 1) : kinds;
  return chosen.length > 0 ? chosen : [ctx.stores[0]!];
}

async function outage(ctx: ScenarioContext, broker: OwnBroker, kind: StoreKind) {
  const started = Date.now();
  const brokerKind = broker.kind;
  const downMs = scaled(ctx, bySize(ctx, 5, 30)) * 1000;
  // A no-op when running; the previous row may have failed with it stopped.
  await broker.start();
  return await withWorld(ctx, { label: `broker-${brokerKind}`, kind, keys: 20, claimTimeoutMs: 3000, sink: (prefix) => brokerSinkConfig(broker, prefix) }, async (w) => {
    const unsupervise = w.superviseConsumer();
    try {
      for (let i = 0; i < 2; i++) w.startRelay();
      w.startWriters(2, { ...writerLoad(kind, { connections: 4, paceMs: 20, commitDelay: 30 }), delayedRate: 0.05, delayMs: 500 });
      await sleep(2000);
      w.consumer?.kill('SIGKILL');
      await sleep(1500);
      const at = Date.now();
      await broker.stop();
      await sleep(downMs);
      await broker.start();
      w.faults.push({ what: `${brokerKind} down`, at, restoredAt: Date.now() });
      progress(`${brokerKind} back after ${Date.now() - at} ms`);
      await waitAtMost(() => w.consumer?.running === true, 10_000);
      await sleep(2000);
      const notes = await finish(w, 90_000);
      return await summarize(w, { scenario: 'broker down and back', store: `${kind} → ${brokerKind}`, trials: 1, started, notes: [...notes, `down ${downMs / 1000} s (${broker.stopSignal}); consumer SIGKILLed once`] });
    } finally {
      unsupervise();
    }
  });
}
