import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import { createInbox, createOutbox, createRelay, inboxHandler, type MessageInput, type Relay } from '../../src/core/index.js';
import { createPostgresInbox, createPostgresStore, type PgTransaction, type PostgresStore } from '../../src/stores/postgres/index.js';
import type { MessageHandler, ReceivedMessage, Subscription } from '../../src/transports/shared/received.js';
import { PG_URL, eventually, sleep, uniqueName } from './env.js';
import { byKey, type ProducerUnderTest } from './harness.js';

export interface EndToEndSetup {
  readonly producer: ProducerUnderTest;
  readonly topic: string;
  consume(handler: MessageHandler): Promise<Subscription>;
  close(): Promise<void>;
}

const TIMEOUT = 30_000;
const tables = new WeakMap<PostgresStore, string>();
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

/** PostgreSQL transaction → outbox → relay → this transport → its consumer helper. */
export function endToEnd(t: { name: string; setup(): Promise<EndToEndSetup> }): void {
  describe(`end to end: PostgreSQL → relay → ${t.name} → consumer`, () => {
    const run = async (body: (ctx: { s: EndToEndSetup; store: PostgresStore; pool: pg.Pool; send(m: MessageInput[], commit?: boolean): Promise<string[]>; relay: Relay }) => Promise<void>) => {
      const pool = new pg.Pool({ connectionString: PG_URL, max: 4 });
      const table = uniqueName('tx_e2e');
      const store = createPostgresStore({ pool, table });
      tables.set(store, table);
      const s = await t.setup();
      const relay = createRelay({ store, producer: s.producer, pollIntervalMs: 50, retry: { initialMs: 50, maxMs: 200 } });
      try {
        await store.migrate();
        const outbox = createOutbox({ store });
        const send = async (messages: MessageInput[], commit = true) => {
          let ids: readonly string[] = [];
          const done = store.transaction(async (tx) => {
            ids = (await outbox.send(tx, messages)).ids;
            if (!commit) throw new Error('rolled back on purpose');
          });
          if (commit) await done;
          else await assert.rejects(done);
          return [...ids];
        };
        await body({ s, store, pool, send, relay });
      } finally {
        await relay.stop();
        await s.close();
        await pool.query(`DROP TABLE IF EXISTS "${table}", "${table}_inbox", "${table}_effects"`).catch(() => {});
        await pool.end();
      }
    };

    it('delivers exactly what committed transactions wrote, each key in order', { timeout: TIMEOUT }, async () => {
      await run(async ({ s, send, relay }) => {
        const handled: ReceivedMessage[] = [];
        const sub = await s.consume((m) => {
          handled.push(m);
        });
        try {
          relay.start();
          const committed: (MessageInput & { id: string })[] = [];
          for (let tx = 0; tx < 4; tx++) {
            const batch: MessageInput[] = Array.from({ length: 8 }, (_, i) => ({
              topic: s.topic,
              key: i % 4 === 3 ? null : `customer-${i % 3}`,
              payload: { tx, i, note: 'ü' },
              headers: { 'x-source': 'e2e' },
              traceContext: { traceparent: TRACEPARENT },
            }));
            const ids = await send(batch);
            batch.forEach((m, i) => committed.push({ ...m, id: ids[i]! }));
          }
          const ghost = await send([{ topic: s.topic, key: 'customer-0', payload: 'ghost' }], false);
          await eventually(() => new Set(handled.map((m) => m.id)).size >= committed.length, 15_000, 'every committed message to be handled');
          await sleep(200);

          const first = handled.filter((m, i) => handled.findIndex((h) => h.id === m.id) === i);
          assert.deepEqual(new Set(first.map((m) => m.id)), new Set(committed.map((m) => m.id)));
          assert.ok(!first.some((m) => ghost.includes(m.id)), 'a rolled-back message never arrives');
          assert.deepEqual(byKey(first), byKey(committed.map((m) => ({ id: m.id, key: m.key ?? null }))));
          const sent = new Map(committed.map((m) => [m.id, m]));
          for (const m of first) {
            const c = sent.get(m.id)!;
            assert.equal(m.topic, c.topic);
            assert.equal(m.key, c.key ?? null);
            assert.deepEqual(JSON.parse(m.payload.toString('utf8')), c.payload);
            assert.equal(m.contentType, 'application/json');
            assert.deepEqual(m.headers, { 'x-source': 'e2e', traceparent: TRACEPARENT });
          }
        } finally {
          await sub.stop();
        }
      });
    });

    it('redelivers a message whose handler failed, and acknowledges it once handled', { timeout: TIMEOUT }, async () => {
      await run(async ({ s, send, relay }) => {
        const attempts = new Map<string, number>();
        const sub = await s.consume((m) => {
          const n = (attempts.get(m.id) ?? 0) + 1;
          attempts.set(m.id, n);
          if (n === 1) throw new Error('handler failed once');
        });
        try {
          relay.start();
          const [id] = await send([{ topic: s.topic, payload: { once: true } }]);
          await eventually(() => (attempts.get(id!) ?? 0) >= 1, 10_000, 'the first attempt');
          await eventually(() => (attempts.get(id!) ?? 0) >= 2, 10_000, 'the redelivery');
          await sleep(300);
          assert.equal(attempts.get(id!), 2, 'acknowledged after the successful attempt: not delivered again');
        } finally {
          await sub.stop();
        }
      });
    });

    it('with the inbox, runs each effect once though acknowledgements are lost after the commit, and gives up on a poison message', { timeout: TIMEOUT }, async () => {
      await run(async ({ s, send, relay, store, pool }) => {
        const table = tables.get(store)!;
        const inboxStore = createPostgresInbox({ pool, table: `${table}_inbox` });
        await inboxStore.migrate();
        await pool.query(`CREATE TABLE "${table}_effects" (id text PRIMARY KEY, n int NOT NULL)`);
        const calls = new Map<string, number>();
        const duplicates = new Set<string>();
        const givenUp: string[] = [];
        const effect = inboxHandler<PgTransaction, ReceivedMessage>({
          inbox: createInbox({ store: inboxStore }),
          transaction: (fn) => store.transaction(fn),
          consumer: 'e2e',
          maxAttempts: 3,
          onGiveUp: (m) => givenUp.push(m.id),
          handle: async (m, { tx }) => {
            calls.set(m.id, (calls.get(m.id) ?? 0) + 1);
            if (JSON.parse(m.payload.toString('utf8')).poison) throw new Error('poison');
            await tx.query(`INSERT INTO "${table}_effects" (id, n) VALUES ($1, 1) ON CONFLICT (id) DO UPDATE SET n = "${table}_effects".n + 1`, [m.id]);
          },
        });
        const lostOnce = new Set<string>();
        const sub = await s.consume(async (m) => {
          const outcome = await effect(m);
          if (outcome.duplicate) duplicates.add(m.id);
          // The first time, the process dies between the commit and the acknowledgement.
          if (!lostOnce.has(m.id)) {
            lostOnce.add(m.id);
            throw new Error('acknowledgement lost after the commit');
          }
        });
        try {
          relay.start();
          const ids = await send(Array.from({ length: 5 }, (_, i) => ({ topic: s.topic, key: `k${i % 2}`, payload: { i } })));
          const [poison] = await send([{ topic: s.topic, payload: { poison: true } }]);
          const deadline = Date.now() + 20_000;
          while (!(ids.every((id) => duplicates.has(id)) && givenUp.includes(poison!)) && Date.now() < deadline) await sleep(50);
          await sleep(300);
          const effects = (await pool.query(`SELECT id, n FROM "${table}_effects"`)).rows as { id: string; n: number }[];
          assert.deepEqual(effects.map((e) => e.n), [1, 1, 1, 1, 1], 'each effect once');
          assert.deepEqual(new Set(effects.map((e) => e.id)), new Set(ids));
          assert.ok(ids.every((id) => duplicates.has(id) && calls.get(id) === 1), 'the redelivery found the inbox row');
          assert.deepEqual(givenUp, [poison], 'the poison message was given up');
          assert.equal(calls.get(poison!), 3, 'after maxAttempts, and not retried after that');
        } finally {
          await sub.stop();
        }
      });
    });
  });
}
