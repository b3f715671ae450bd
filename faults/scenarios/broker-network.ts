import { progress } from '../log.js';
import { createProxy } from '../proxy.js';
import { brokerSinkConfig, ownBroker, type OwnBroker } from '../servers/brokers.js';
import { sleep, waitAtMost } from '../util.js';
import { finish, summarize, withWorld, writerLoad } from './common.js';
import { bySize, scaled, type Scenario, type ScenarioContext } from './types.js';

type NetFault = 'latency' | 'reset' | 'blackhole';

/**
 * The network between the broker consumer and its broker misbehaves (relays publish directly):
 * 200 ms added each way for 3 s, every consumer connection reset, or a 3 s black hole after which
 * the connections that lived through it are reset. txbox's consumer helpers acknowledge only
 * after the effect committed, so a receipt whose acknowledgement was lost comes back, and the
 * inbox must keep the effect single. A consumer that lost its connection exits and is restarted,
 * as a process supervisor would.
 */
export const brokerNetwork: Scenario = {
  name: 'network faults between consumers and brokers',
  summary: 'Through a TCP fault proxy between the broker consumer and each broker: 200 ms latency each way for 3 s; RST of every consumer connection; a 3 s black hole.',
  tiers: ['full'],
  async run(ctx) {
    const rows = [];
    for (const brokerKind of ctx.brokers) {
      const broker = await ownBroker(brokerKind);
      try {
        await broker.start();
        progress(`own ${brokerKind} on 127.0.0.1:${broker.port}`);
        for (const fault of ['latency', 'reset', 'blackhole'] as const) rows.push(await faultOn(ctx, broker, fault));
      } finally {
        await broker.dispose();
      }
    }
    return rows;
  },
};

async function faultOn(ctx: ScenarioContext, broker: OwnBroker, fault: NetFault) {
  const started = Date.now();
  const kind = ctx.stores.includes('postgres-lease') ? 'postgres-lease' : ctx.stores[0]!;
  const proxy = await createProxy(broker.port);
  const trials = scaled(ctx, bySize(ctx, 1, 3));
  try {
    return await withWorld(ctx, { label: `bnet-${broker.kind}-${fault}`, kind, keys: 20, claimTimeoutMs: 2000, sink: (prefix) => brokerSinkConfig(broker, prefix), consumerPort: proxy.port }, async (w) => {
      const unsupervise = w.superviseConsumer();
      try {
        for (let i = 0; i < 2; i++) w.startRelay();
        w.startWriters(2, { ...writerLoad(kind, { connections: 2, paceMs: 20, commitDelay: 30 }), delayedRate: 0.05, delayMs: 500 });
        // The first fault must find a consumer subscribed and receiving (processes start slowly on a busy machine).
        if (!(await waitAtMost(() => w.consumer?.lastProgress !== undefined, 60_000, 50))) throw new Error('the consumer received nothing within 60 s');
        for (let trial = 0; trial < trials; trial++) {
          await sleep(2500);
          const at = Date.now();
          if (fault === 'latency') {
            proxy.setLatency(200);
            await sleep(3000);
            proxy.setLatency(0);
          } else if (fault === 'reset') {
            proxy.resetAll();
          } else {
            proxy.blackhole(true);
            await sleep(3000);
            proxy.blackhole(false);
          }
          // The consumer's receipts are measured (detect, recover); relays were not hit, so this is no outage of theirs.
          w.faults.push({ what: fault, at, restoredAt: Date.now(), victim: 'consumer' });
          progress(`${fault} ${trial + 1}/${trials} between the consumer and ${broker.kind}`);
        }
        await sleep(2000);
        const notes = await finish(w, 60_000);
        const restarts = w.consumerStarts - 1;
        notes.push(`${restarts} consumer restarts after a lost connection`);
        return await summarize(w, { scenario: 'network faults between consumers and brokers', store: `${kind} → ${broker.kind} / ${fault}`, trials, started, notes });
      } finally {
        unsupervise();
      }
    });
  } finally {
    await proxy.close();
  }
}
