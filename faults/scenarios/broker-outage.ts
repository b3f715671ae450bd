import { progress } from '../log.js';
import { brokerSinkConfig, ownBroker, type BrokerKind } from '../servers/brokers.js';
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
  summary: 'Each broker (its own instance) stopped for 30 s under load, then started again; the broker consumer is SIGKILLed once as well.',
  tiers: ['smoke', 'full'],
  async run(ctx) {
    const brokers: BrokerKind[] = ctx.tier === 'smoke' ? ['redis'] : ['rabbitmq', 'nats', 'redis', 'mqtt'];
    const rows = [];
    for (const kind of brokers) rows.push(await outage(ctx, kind));
    return rows;
  },
};

async function outage(ctx: ScenarioContext, brokerKind: BrokerKind) {
  const started = Date.now();
  const broker = await ownBroker(brokerKind);
  const downMs = scaled(ctx, bySize(ctx, 5, 30)) * 1000;
  try {
    await broker.start();
    progress(`own ${brokerKind} on 127.0.0.1:${broker.port}`);
    const kind = ctx.stores.includes('postgres-lease') ? 'postgres-lease' : ctx.stores[0]!;
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
  } finally {
    await broker.dispose();
  }
}
