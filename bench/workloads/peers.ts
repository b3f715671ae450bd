import type pg from 'pg';
import { createOutbox } from '../../src/core/index.js';
import type { BenchConfig } from '../lib/args.js';
import { progress, waitAtMost } from '../lib/log.js';
import { bulkLoad, createBusinessTable, insertOrderSql, makeStore, type BenchDatabase } from '../lib/pg.js';
import { drainWithRelays, type DrainRun } from '../lib/relays.js';
import { rate, ratio } from '../lib/stats.js';
import { inTransaction, runClosedLoop, type WriteRun } from '../lib/writers.js';
import { graphilePeer } from '../peers/graphile.js';
import type { Peer, PeerPayload, PeerVariant } from '../peers/peer.js';
import { pgBossPeer } from '../peers/pgboss.js';
import { pgtoPeer } from '../peers/pgto.js';
import { measureLatency, type LatencyRun } from './latency.js';
import { TXBOX_DRAIN_SPECS } from './drain.js';

export interface PeerDrainRun extends DrainRun {
  /** True when the budget ran out first: the rate is what it drained in the time it had. */
  time_boxed: boolean;
}

interface PeerFigures {
  variants: Record<PeerVariant, string>;
  write: WriteRun;
  drain: Record<PeerVariant, PeerDrainRun>;
  latency: Record<PeerVariant, LatencyRun>;
}

export interface PeersResult {
  messages: number;
  txbox: { write: WriteRun; drain: DrainRun; drain_setup: string };
  peers: Record<string, PeerFigures>;
  /** Best txbox drain / each peer's best drain, same run. */
  drain_lead: Record<string, number | null>;
  /** txbox send / each peer's enqueue, both inside a business transaction. */
  write_lead: Record<string, number | null>;
}

const VARIANTS: PeerVariant[] = ['defaults', 'best'];

/** Workload 5: the same enqueue, drain and latency workloads through pg-boss, graphile-worker and pg-transactional-outbox. */
export async function runPeers(db: BenchDatabase, cfg: BenchConfig): Promise<PeersResult> {
  const n = cfg.peerMessages;
  const writers = db.pool(cfg.writers + 1);
  await createBusinessTable(writers, 'peer_orders');
  const orderSql = insertOrderSql('peer_orders');
  const order = (c: pg.PoolClient, seq: number) => c.query(orderSql, [`customer-${seq % 1000}`, 42.5]);

  // txbox on the same machine in the same run, for the comparison.
  const store = await makeStore(writers, 'peer_txbox');
  const outbox = createOutbox({ store });
  const txboxWrite = await runClosedLoop(writers, cfg.writers, cfg.peerWriteTx, (c, i) =>
    inTransaction(c, async () => {
      await order(c, i);
      await outbox.send(c, { topic: 'order.created', payload: { seq: i, amount: 42.5 } });
    }),
  );
  await writers.query('TRUNCATE peer_txbox');
  const bestSpec = TXBOX_DRAIN_SPECS.txbox_b500_concurrency2!;
  await bulkLoad(writers, 'peer_txbox', n);
  const txboxDrain = await drainWithRelays(db, 'peer_txbox', n, bestSpec);
  progress(`peers txbox: write ${txboxWrite.tx_per_s} tx/s, drain ${txboxDrain.msgs_per_s} msgs/s`);

  const peers: Record<string, PeerFigures> = {};
  for (const make of [pgBossPeer, graphilePeer, pgtoPeer]) {
    const peer = make(db);
    try {
      await peer.setup();
      peers[peer.name] = await measurePeer(peer, writers, order, cfg);
    } finally {
      await peer.close();
    }
  }
  await db.close(writers);

  const drainLead: Record<string, number | null> = {};
  const writeLead: Record<string, number | null> = {};
  for (const [name, p] of Object.entries(peers)) {
    drainLead[name] = ratio(txboxDrain.msgs_per_s, Math.max(p.drain.defaults.msgs_per_s, p.drain.best.msgs_per_s));
    writeLead[name] = ratio(txboxWrite.tx_per_s, p.write.tx_per_s);
  }
  return { messages: n, txbox: { write: txboxWrite, drain: txboxDrain, drain_setup: 'txbox_b500_concurrency2' }, peers, drain_lead: drainLead, write_lead: writeLead };
}

async function measurePeer(peer: Peer, writers: pg.Pool, order: (c: pg.PoolClient, seq: number) => Promise<unknown>, cfg: BenchConfig): Promise<PeerFigures> {
  const write = await runClosedLoop(writers, cfg.writers, cfg.peerWriteTx, (c, i) =>
    inTransaction(c, async () => {
      await order(c, i);
      await peer.enqueue(c, { seq: i, amount: 42.5 });
    }),
  );
  progress(`peers ${peer.name}: enqueue in a business transaction ${write.tx_per_s} tx/s`);
  await peer.reset();

  const drain = {} as Record<PeerVariant, PeerDrainRun>;
  for (const variant of VARIANTS) {
    const n = cfg.peerMessages;
    await peer.bulkLoad(n);
    let handled = 0;
    const start = performance.now();
    const stop = await peer.consume(variant, () => handled++);
    const done = await waitAtMost(() => handled >= n, cfg.peerDrainBudgetMs);
    const ms = performance.now() - start;
    const count = handled;
    await stop();
    await peer.reset();
    drain[variant] = { messages: count, ms: Math.round(ms), msgs_per_s: rate(count, ms), batches: 0, time_boxed: !done };
    progress(`peers ${peer.name} drain (${variant}): ${drain[variant].msgs_per_s} msgs/s${done ? '' : ` (time-boxed: ${count} of ${n} in ${Math.round(ms)} ms)`}`);
  }

  const latency = {} as Record<PeerVariant, LatencyRun>;
  for (const variant of VARIANTS) {
    const start = async (delivered: (seq: number) => void) => {
      const stop = await peer.consume(variant, (p: PeerPayload) => delivered(p.seq));
      const write = async (seq: number) => {
        const c = await writers.connect();
        try {
          await inTransaction(c, async () => {
            await order(c, seq);
            await peer.enqueue(c, { seq, amount: 42.5 });
          });
        } finally {
          c.release();
        }
      };
      return { write, stop };
    };
    latency[variant] = await measureLatency(start, `${peer.name} ${variant}`, cfg.latencyRate, cfg.peerLatencyMs, true);
    await peer.reset();
    const l = latency[variant];
    progress(`peers ${peer.name} latency (${variant}): p50 ${l.p50_ms} ms, p99 ${l.p99_ms} ms${l.undelivered ? ` (${l.undelivered} undelivered, counted at their wait so far)` : ''}`);
  }
  return { variants: peer.variants, write, drain, latency };
}
