import { progress } from '../log.js';
import type { StoreKind } from '../processes/config.js';
import { createProxy } from '../proxy.js';
import { sleep } from '../util.js';
import { finish, summarize, withWorld, writerLoad } from './common.js';
import { bySize, scaled, type Scenario, type ScenarioContext } from './types.js';

type NetFault = 'latency' | 'reset' | 'blackhole';

/**
 * The network between the relays and the database misbehaves (writers and the consumer keep a
 * direct path): 200 ms added each way, every connection reset, or a black hole longer than the
 * claim timeout, after which the connections that lived through it are reset.
 */
export const network: Scenario = {
  name: 'network faults between relays and database',
  summary: 'Through a TCP fault proxy: 200 ms latency each way for 3 s; RST of every relay connection; a 3 s black hole (longer than the 2 s claim timeout).',
  tiers: ['full'],
  async run(ctx) {
    const rows = [];
    for (const kind of ctx.stores.filter((k) => k === 'postgres-lock' || k === 'postgres-lease')) {
      for (const fault of ['latency', 'reset', 'blackhole'] as const) rows.push(await networkOn(ctx, kind, fault));
    }
    return rows;
  },
};

async function networkOn(ctx: ScenarioContext, kind: StoreKind, fault: NetFault) {
  const started = Date.now();
  const server = await ctx.postgres();
  const proxy = await createProxy(server.port);
  const trials = scaled(ctx, bySize(ctx, 1, 3));
  try {
    return await withWorld(ctx, { label: `net-${fault}`, kind, keys: 20, claimTimeoutMs: 2000, server, relayPort: proxy.port }, async (w) => {
      w.startConsumer();
      for (let i = 0; i < 2; i++) w.startRelay();
      w.startWriters(2, { ...writerLoad(kind, { connections: 4, paceMs: 10, commitDelay: 30 }), delayedRate: 0.05, delayMs: 500 });
      for (let trial = 0; trial < trials; trial++) {
        await sleep(1500);
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
        w.faults.push({ what: fault, at, restoredAt: Date.now() });
        progress(`${fault} ${trial + 1}/${trials} on ${kind}`);
      }
      await sleep(1500);
      const notes = await finish(w, 60_000);
      return summarize(w, { scenario: 'network faults between relays and database', store: `${kind} / ${fault}`, trials, started, notes });
    });
  } finally {
    await proxy.close();
  }
}
