import { createOutbox, uuidv7 } from '../../src/core/index.js';
import { progress } from '../log.js';
import { tables, type StoreKind } from '../processes/config.js';
import { openStore } from '../processes/targets.js';
import { sleep } from '../util.js';
import type { World } from '../world/world.js';
import { finish, summarize, withWorld, writerLoad } from './common.js';
import { bySize, scaled, type Scenario, type ScenarioContext } from './types.js';

/**
 * Long transactions, while writers and relays run: one only reads (it holds the xmin horizon, so
 * no deleted outbox row can be vacuumed and every claim wades through dead rows), another has
 * written a message and waits before committing (its position is far below everything committed
 * meanwhile: a cursor-based relay would skip it forever, the commit-order gap).
 */
export const horizon: Scenario = {
  name: 'long transactions',
  summary: 'A read-only transaction holds the horizon while a writer holds a written message uncommitted, both for 20 s, under steady writes.',
  tiers: ['full'],
  async run(ctx) {
    const rows = [];
    for (const kind of ctx.stores.filter((k) => k === 'postgres-lock' || k === 'postgres-lease')) rows.push(await horizonOn(ctx, kind));
    return rows;
  },
};

/** A business transaction like the writers', held open for `holdMs` before it commits. */
async function lateCommit(w: World, holdMs: number): Promise<void> {
  const t = tables(w.prefix);
  const client = await w.pool.connect();
  const outbox = createOutbox({ store: await openStore(w.target(), w.pool) });
  try {
    await client.query('BEGIN');
    // A key of its own, so the writers are not queued behind it and keep writing meanwhile.
    await client.query(`INSERT INTO "${t.agg}" VALUES ('late', 1)`);
    const id = uuidv7();
    await client.query(`INSERT INTO "${t.biz}" (id, key, version, delay_ms, sent_at_ms, poison) VALUES ($1, 'late', 1, 0, $2, false)`, [id, Date.now()]);
    await outbox.send(client, { id, topic: 'work', key: 'late', payload: { id, key: 'late', v: 1 } });
    await sleep(holdMs);
    await client.query('COMMIT');
  } finally {
    client.release();
  }
}

async function horizonOn(ctx: ScenarioContext, kind: StoreKind) {
  const started = Date.now();
  const holdMs = scaled(ctx, bySize(ctx, 5, 20)) * 1000;
  return withWorld(ctx, { label: 'horizon', kind, keys: 20, claimTimeoutMs: 2000 }, async (w) => {
    w.startConsumer();
    for (let i = 0; i < 2; i++) w.startRelay();
    w.startWriters(2, writerLoad(kind, { connections: 4, paceMs: 5, commitDelay: 30 }));
    await sleep(1000);
    const writing = Date.now();
    await sleep(2000);
    const reader = await w.pool.connect();
    const at = Date.now();
    try {
      await reader.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      await reader.query('SELECT txid_current()');
      await lateCommit(w, holdMs);
    } finally {
      await reader.query('COMMIT').catch(() => {});
      reader.release();
    }
    w.faults.push({ what: 'long transactions', at, restoredAt: Date.now() });
    progress(`long transactions on ${kind} ended after ${Date.now() - at} ms`);
    await sleep(1000);
    const notes = await finish(w, 60_000);
    const o = await w.observe();
    const rate = (from: number, to: number) => Math.round((o.deliveries.filter((d) => d.t >= from && d.t < to).length * 1000) / Math.max(1, to - from));
    notes.push(`delivered ${rate(writing, at)} msg/s before, ${rate(at, at + holdMs)} msg/s while the transactions were open`);
    return summarize(w, { scenario: 'long transactions', store: kind, trials: 1, started, notes });
  });
}
