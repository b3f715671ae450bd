import { progress } from '../log.js';
import { tables, type StoreKind } from '../processes/config.js';
import type { ChildHandle } from '../processes/handle.js';
import { waitAtMost } from '../util.js';
import type { World } from '../world/world.js';
import { summarize, withWorld } from './common.js';
import { bySize, scaled, type Scenario, type ScenarioContext } from './types.js';

const KEYS = 1000;

/**
 * A large backlog (the relays were down for a long time) drained by two relays. Memory must stay
 * flat: a relay holds one batch at a time, whatever the backlog.
 */
export const backlog: Scenario = {
  name: 'large backlog',
  summary: 'One million pending messages on 1,000 keys, drained by 2 relays (batches of 500) through the inbox consumer; relay memory sampled every second.',
  tiers: ['full'],
  async run(ctx) {
    const rows = [];
    for (const kind of ctx.stores.filter((k) => k !== 'mysql')) rows.push(await backlogOn(ctx, kind));
    return rows;
  },
};

async function fill(w: World, total: number): Promise<void> {
  const t = tables(w.prefix);
  if (w.kind === 'sqlite') {
    const db = w.sqlite;
    const now = Date.now();
    db.exec(`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${total - 1})
INSERT INTO "${t.biz}" SELECT lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-a' || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6))), 'k' || (i % ${KEYS}), i / ${KEYS} + 1, 0, ${now}, 0 FROM n`);
    db.exec(`INSERT INTO "${t.outbox}" (id, topic, key, payload, content_type, created_at, available_at)
SELECT id, 'work', key, CAST(json_object('id', id, 'key', key, 'v', version) AS BLOB), 'application/json', ${now}, ${now} FROM "${t.biz}" ORDER BY version, key`);
    return;
  }
  await w.pool.query(`INSERT INTO "${t.biz}" SELECT gen_random_uuid(), 'k' || (i % ${KEYS}), i / ${KEYS} + 1, 0, floor(extract(epoch FROM now()) * 1000), false FROM generate_series(0, $1::int - 1) i`, [total]);
  await w.pool.query(`INSERT INTO "${t.outbox}" (id, topic, key, payload, content_type)
SELECT id, 'work', key, convert_to(json_build_object('id', id, 'key', key, 'v', version)::text, 'UTF8'), 'application/json' FROM "${t.biz}" ORDER BY version, key`);
  await w.pool.query(`VACUUM ANALYZE "${t.outbox}"`);
}

const mb = (bytes: number) => Math.round(bytes / 1e6);

function memory(relays: readonly ChildHandle[]) {
  const samples = relays.map((r) => r.events.filter((e) => e.ev === 'memory').map((e) => Number(e.rss)));
  const max = Math.max(0, ...samples.flat());
  // Growth: the last quarter of a relay's samples against its second quarter (after warm-up).
  const growth = Math.max(0, ...samples.filter((s) => s.length >= 8).map((s) => Math.max(...s.slice(-Math.floor(s.length / 4))) - Math.max(...s.slice(Math.floor(s.length / 4), Math.floor(s.length / 2)))));
  return { max, growth };
}

async function backlogOn(ctx: ScenarioContext, kind: StoreKind) {
  const started = Date.now();
  const total = Math.round(scaled(ctx, bySize(ctx, 20_000, 1_000_000)));
  return withWorld(ctx, { label: 'backlog', kind, keys: KEYS, claimTimeoutMs: 10_000 }, async (w) => {
    await fill(w, total);
    progress(`${total} messages pending on ${kind} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const drainStart = Date.now();
    w.startConsumer([], undefined, 500);
    for (let i = 0; i < 2; i++) w.startRelay({ batchSize: 500, reportMemory: true });
    const drained = await waitAtMost(async () => (await w.pendingIds()).length === 0, 900_000, 1000);
    const drainMs = Date.now() - drainStart;
    const caughtUp = await waitAtMost(() => w.consumerCaughtUp(), 600_000, 200);
    const { max, growth } = memory(w.relays);
    await w.stopAll();
    const notes = [
      `drained ${total} messages in ${(drainMs / 1000).toFixed(1)} s (${Math.round(total / (drainMs / 1000))} msg/s); consumer caught up ${((Date.now() - drainStart) / 1000).toFixed(1)} s after the start`,
      `relay memory: at most ${mb(max)} MB RSS, ${mb(growth)} MB growth from the second to the last quarter of the drain`,
    ];
    if (!drained) notes.push('the backlog did not drain within 15 minutes');
    if (!caughtUp) notes.push('the consumer did not catch up within 10 minutes');
    if (growth > 64e6) notes.push('MEMORY GREW by more than 64 MB while draining');
    return summarize(w, { scenario: 'large backlog', store: kind, trials: 1, started, notes, stallBound: false });
  });
}
