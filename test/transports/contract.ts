import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { createOutbox, createRelay, TxboxError, type MessageInput } from '../../src/core/index.js';
import { createPostgresStore } from '../../src/stores/postgres/index.js';
import { PG_URL, eventually, sleep, uniqueName } from './env.js';
import { byKey, context, firstArrivals, message, type TransportHarness } from './harness.js';

/** Every test is bounded: a hung broker call fails the test instead of stalling the run. */
const TIMEOUT = 60_000;
const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

/** The behaviour every transport promises, against real brokers. */
export function transportContract(harness: TransportHarness): void {
  describe(`transport contract: ${harness.name}`, () => {
    after(() => harness.close());

    it('publishes a batch and keeps each key in order', { timeout: TIMEOUT }, async () => {
      const d = await harness.open();
      try {
        const batch = Array.from({ length: 30 }, (_, i) => message(d.topic, { key: `k${i % 3}`, json: { i } }));
        batch.push(...Array.from({ length: 5 }, (_, i) => message(d.topic, { json: { unkeyed: i } })));
        const result = await d.producer.produce(batch, context());
        assert.deepEqual(result.failed, []);
        assert.deepEqual(new Set(result.ok), new Set(batch.map((m) => m.id)));
        const arrived = await d.received(batch.length);
        assert.deepEqual(new Set(arrived.map((a) => a.id)), new Set(batch.map((m) => m.id)));
        assert.deepEqual(byKey(firstArrivals(arrived)), byKey(batch));
      } finally {
        await d.close();
      }
    });

    it('delivers id, topic, key, headers, content type and payload intact', { timeout: TIMEOUT }, async () => {
      const d = await harness.open();
      try {
        const json = message(d.topic, { key: 'k1', json: { s: 'é', n: 1 }, headers: { traceparent: TRACEPARENT, tracestate: 'vendor=1', 'x-tenant': 'acme' } });
        const bytes = message(d.topic, { payload: Uint8Array.from([0, 1, 2, 255, 10]), contentType: 'application/x-test' });
        await d.producer.produce([json, bytes], context());
        const arrived = await d.received(2);
        const got = new Map(arrived.map((a) => [a.id, a]));
        for (const sent of [json, bytes]) {
          const a = got.get(sent.id);
          assert.ok(a, `message ${sent.id} arrived`);
          assert.equal(a.topic, sent.topic);
          assert.equal(a.key, sent.key);
          assert.deepEqual(a.headers, sent.headers);
          assert.equal(a.contentType, sent.contentType);
          assert.deepEqual([...a.payload], [...sent.payload]);
        }
      } finally {
        await d.close();
      }
    });

    it('reports each failed message and publishes nothing after it in its key', { timeout: TIMEOUT }, async () => {
      const d = await harness.open();
      try {
        const a1 = message(d.topic, { key: 'a' });
        const b1 = message(d.failingTopic, { key: 'b' });
        const b2 = message(d.topic, { key: 'b' });
        const a2 = message(d.topic, { key: 'a' });
        const u1 = message(d.failingTopic);
        const u2 = message(d.topic);
        const result = await d.producer.produce([a1, b1, b2, a2, u1, u2], context());
        assert.deepEqual(new Set(result.ok), new Set([a1.id, a2.id, u2.id]));
        const failed = new Map((result.failed ?? []).map((f) => [f.id, f]));
        assert.deepEqual(new Set(failed.keys()), new Set([b1.id, u1.id]), 'b2 is neither published nor failed: the relay releases it');
        const permanent = harness.features.failure === 'permanent';
        for (const f of failed.values()) {
          const isPermanent = f.permanent === true || (f.error instanceof TxboxError && f.error.code === 'PERMANENT_FAILURE');
          assert.equal(isPermanent, permanent, `failure of ${f.id} classified ${permanent ? 'permanent' : 'retryable'}: ${String(f.error)}`);
        }
        await d.received(3);
        await sleep(200);
        const arrived = await d.received(3, 0);
        assert.deepEqual(new Set(arrived.map((a) => a.id)), new Set([a1.id, a2.id, u2.id]));
      } finally {
        await d.close();
      }
    });

    it('gives every publish its own deadline when the peer never answers', { timeout: TIMEOUT }, async () => {
      const s = await harness.silent({ publishTimeoutMs: 300 });
      try {
        const k1 = message('t.one', { key: 'k' });
        const k2 = message('t.one', { key: 'k' });
        const u = message('t.one');
        const started = Date.now();
        const result = await s.producer.produce([k1, k2, u], context());
        const elapsed = Date.now() - started;
        assert.ok(elapsed < 2000, `answered in ${elapsed} ms`);
        assert.deepEqual([...result.ok], []);
        assert.deepEqual(new Set((result.failed ?? []).map((f) => f.id)), new Set([k1.id, u.id]));
        assert.ok((result.failed ?? []).every((f) => !f.permanent));
      } finally {
        await s.close();
      }
    });

    it("returns promptly when the relay's signal aborts", { timeout: TIMEOUT }, async () => {
      const s = await harness.silent({ publishTimeoutMs: 20_000 });
      try {
        const abort = new AbortController();
        setTimeout(() => abort.abort(new TxboxError('PRODUCE_TIMEOUT', 'relay deadline')), 200);
        const started = Date.now();
        await s.producer.produce([message('t.one', { key: 'k' }), message('t.one')], context(abort.signal));
        assert.ok(Date.now() - started < 2000, `answered in ${Date.now() - started} ms`);
      } finally {
        await s.close();
      }
    });

    it('fails fast while the broker is down, and loses nothing across a restart', { timeout: TIMEOUT }, async () => {
      const d = await harness.own({ publishTimeoutMs: 3000 });
      const pool = new pg.Pool({ connectionString: PG_URL, max: 4 });
      const table = uniqueName('tx_restart');
      const store = createPostgresStore({ pool, table });
      let failures = 0;
      const relay = createRelay({
        onEvent: (e) => {
          if (e.type === 'message.failed' || e.type === 'produce.failed') failures++;
        },
        store,
        producer: d.producer,
        batchSize: 20,
        pollIntervalMs: 50,
        produceTimeoutMs: 8000,
        maxAttempts: Infinity,
        retry: { initialMs: 50, maxMs: 400 },
        produceBackoff: { initialMs: 50, maxMs: 400 },
      });
      try {
        await store.migrate();
        const outbox = createOutbox({ store });
        const written: MessageInput[] = [];
        const write = async (n: number) => {
          const batch = Array.from({ length: n }, (_, i) => ({ topic: d.topic, key: i % 4 === 3 ? null : `k${i % 3}`, payload: { i: written.length + i } }));
          const { ids } = await store.transaction((tx) => outbox.send(tx, batch));
          batch.forEach((m, i) => written.push({ ...m, id: ids[i] }));
        };
        relay.start();
        for (let i = 0; i < 3; i++) await write(10);
        await d.received(10, 10_000);

        await d.broker.stop(harness.features.restartSignal);
        for (let i = 0; i < 3; i++) await write(10);
        const started = Date.now();
        const down = await d.producer.produce([message(d.topic, { key: 'probe' })], context());
        assert.deepEqual([...down.ok], []);
        assert.ok(Date.now() - started < 1000, `failed within ${Date.now() - started} ms while down, not at the publish deadline`);

        await eventually(() => failures > 0, 10_000, 'the relay to meet the outage');
        await d.broker.start();
        for (let i = 0; i < 2; i++) await write(10);
        await eventually(async () => (await pool.query(`SELECT count(*)::int AS n FROM "${table}"`)).rows[0].n === 0, 40_000, 'the outbox to drain after the restart');
        await relay.stop();

        const arrived = firstArrivals(await d.received(written.length, 20_000));
        const ids = new Set(arrived.map((a) => a.id));
        const lost = written.filter((m) => !ids.has(m.id!));
        assert.deepEqual(lost.map((m) => m.id), [], 'no committed message lost');
        const sent = written.map((m) => ({ id: m.id!, key: m.key ?? null }));
        const sentIds = new Set(sent.map((m) => m.id));
        assert.deepEqual(byKey(arrived.filter((a) => sentIds.has(a.id))), byKey(sent), 'each key in commit order');
      } finally {
        await relay.stop();
        await pool.query(`DROP TABLE IF EXISTS "${table}"`).catch(() => {});
        await pool.end();
        await d.close();
      }
    });
  });
}
