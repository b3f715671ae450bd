import { randomUUID } from 'node:crypto';
import { isMysql, tables, type StoreKind } from '../processes/config.js';
import { sleep } from '../util.js';
import type { World } from '../world/world.js';
import { finish, summarize, withWorld, writerLoad } from './common.js';
import { bySize, type Scenario, type ScenarioContext } from './types.js';

/**
 * Rows written into the outbox table by hand, by a migration or by another tool, that txbox's
 * own `send()` would have refused: broken headers, a payload no consumer can read, an empty
 * topic, a negative attempt count (and, in SQLite, a non-UUID id; the SQLite schema refuses text
 * dates outright). The relay must
 * not crash, must not stop relaying other keys, and must set each bad row aside (dead letter)
 * or deliver it; nothing well-formed may be lost or held.
 */
export const malformed: Scenario = {
  name: 'malformed rows',
  summary: 'Rows inserted by hand with broken headers, unreadable payloads, empty topics, odd attempts (SQLite: non-UUID ids; text dates are refused), among live traffic.',
  tiers: ['smoke', 'full'],
  async run(ctx) {
    const rows = [];
    const kinds = ctx.tier === 'smoke' ? ctx.stores.filter((k) => k === 'postgres-lock' || k === 'sqlite') : ctx.stores;
    for (const kind of kinds) rows.push(await malformedOn(ctx, kind));
    return rows;
  },
};

interface BadRow {
  what: string;
  key: string | null;
  topic: string;
  payload: Buffer;
  contentType: string;
  headers: string | null;
  attempts: number;
}

const json = (key: string) => Buffer.from(JSON.stringify({ id: 'hand-made', key, v: 1 }));

function badRows(round: number): BadRow[] {
  const row = (what: string, o: Partial<BadRow>): BadRow => {
    const key = `bad-${what}-${round}`;
    return { what, key, topic: 'work', payload: json(key), contentType: 'application/json', headers: null, attempts: 0, ...o };
  };
  return [
    row('headers-not-json', { headers: '{broken' }),
    row('headers-array', { headers: '["not", "an", "object"]' }),
    row('headers-null', { headers: 'null' }),
    row('payload-not-json', { payload: Buffer.from('not json at all') }),
    row('empty-topic', { topic: '', contentType: '' }),
    row('unkeyed-bytes', { key: null, payload: Buffer.from([0xde, 0xad, 0xbe, 0xef]), contentType: 'application/octet-stream' }),
    row('negative-attempts', { attempts: -3 }),
  ];
}

async function insertBad(w: World, round: number): Promise<void> {
  const t = tables(w.prefix).outbox;
  const rows = badRows(round);
  if (w.kind === 'sqlite') {
    const now = Date.now();
    const insert = w.sqlite.prepare(`INSERT INTO "${t}" (id, topic, key, payload, content_type, headers, created_at, available_at, attempts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    const odd = [
      { id: `not-a-uuid-${round}`, key: `bad-id-${round}`, created: now as number | string, available: now as number | string },
      { id: randomUUID(), key: `bad-created-${round}`, created: 'yesterday', available: now },
      { id: randomUUID(), key: `bad-available-${round}`, created: now, available: 'soon' },
    ];
    for (const r of rows) {
      const id = randomUUID();
      w.handmade.add(id);
      insert.run(id, r.topic, r.key, r.payload, r.contentType, r.headers, now, now, r.attempts);
    }
    for (const o of odd) {
      try {
        insert.run(o.id, 'work', o.key, json(o.key), 'application/json', null, o.created, o.available, 0);
      } catch (error) {
        // The schema refuses a time written as text (it would never be claimable): nothing stored.
        if (typeof o.created === 'string' || typeof o.available === 'string') {
          if (/CHECK constraint failed/.test(String(error))) continue;
        }
        throw error;
      }
      w.handmade.add(o.id);
    }
    return;
  }
  for (const r of rows) {
    const id = randomUUID();
    w.handmade.add(id);
    const values = [id, r.topic, r.key, r.payload, r.contentType, r.headers, r.attempts];
    if (isMysql(w.kind)) {
      await w.mysql.query(`INSERT INTO \`${t}\` (id, topic, \`key\`, payload, content_type, headers, attempts, created_at, available_at) VALUES (?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))`, values);
    }
    else await w.pool.query(`INSERT INTO "${t}" (id, topic, key, payload, content_type, headers, attempts) VALUES ($1, $2, $3, $4, $5, $6, $7)`, values);
  }
}

async function malformedOn(ctx: ScenarioContext, kind: StoreKind) {
  const started = Date.now();
  return withWorld(ctx, { label: 'malformed', kind, keys: 20, claimTimeoutMs: 2000 }, async (w) => {
    // Bad rows first, at the head of the queue, then more among live traffic.
    await insertBad(w, 0);
    w.startConsumer();
    for (let i = 0; i < 2; i++) w.startRelay({ maxAttempts: 3, retryMs: 100 });
    w.startWriters(2, writerLoad(kind, { connections: 4, paceMs: 20 }));
    const rounds = bySize(ctx, 3, 10);
    for (let round = 1; round <= rounds; round++) {
      await sleep(1000);
      await insertBad(w, round);
    }
    await sleep(2000);
    const notes = await finish(w, bySize(ctx, 30_000, 60_000));
    const o = await w.observe();
    const delivered = new Set(o.deliveries.map((d) => d.id));
    const hand = [...w.handmade];
    const crashed = w.relays.filter((r) => r.events.some((e) => e.ev === 'crash')).length;
    const hung = w.relays.filter((r) => r.forced).length;
    const claimFailures = w.relays.reduce((n, r) => n + r.events.filter((e) => e.ev === 'relay' && e.type === 'claim.failed').length, 0);
    notes.push(
      `${hand.length} hand-made rows: ${hand.filter((id) => o.dead.includes(id)).length} dead, ${hand.filter((id) => delivered.has(id)).length} delivered, ${hand.filter((id) => o.pending.includes(id)).length} still pending`,
    );
    if (claimFailures > 0) notes.push(`claims failed (reported ${claimFailures} times, rate-limited): ${String(w.relays.flatMap((r) => r.events).find((e) => e.type === 'claim.failed')?.error)}`);
    if (crashed > 0) notes.push(`${crashed} relay processes crashed`);
    if (hung > 0) notes.push(`${hung} relay processes did not stop within 10 s of SIGTERM`);
    return summarize(w, { scenario: 'malformed rows', store: kind, trials: rounds + 1, started, notes });
  });
}
