import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createOutbox, createRelay, parsePayload, type OutboxMessage, type OutboxStore, type Settlement } from '../../src/core/index.js';
import { encodeMessages } from '../../src/core/message.js';
import { createRecordingProducer } from '../../src/testing/index.js';
import { eventually, sleep } from '../support/env.js';
import type { StoreHarness, StoreUnderTest } from './harness.js';

const settleAll = (messages: readonly OutboxMessage[]): Settlement => ({ delivered: messages.map((m) => m.id), failed: [], released: [] });

/** Claims what is claimable and releases it at once (a lock-mode claim would otherwise hold its rows). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function claimAll(store: OutboxStore<any>, limit = 1000) {
  const batch = await store.claim({ limit });
  if (!batch) return { messages: [], hasMore: false };
  await store.settle(batch, { delivered: [], failed: [], released: batch.messages.map((m) => m.id) });
  return batch;
}

/** The behaviour every store promises. Each test makes its own table. */
export function storeContract(harness: StoreHarness): void {
  describe(`store contract: ${harness.name}`, () => {
    after(() => harness.close());

    const send = (t: StoreUnderTest, messages: Parameters<ReturnType<typeof createOutbox>['send']>[1]) => {
      const outbox = createOutbox({ store: t.store });
      let result!: Awaited<ReturnType<typeof outbox.send>>;
      return t.commit(async (tx) => (result = await outbox.send(tx, messages))).then(() => result);
    };

    it('stores a message if and only if its transaction commits', async () => {
      const t = await harness.create();
      const outbox = createOutbox({ store: t.store });
      await t.rollback((tx) => outbox.send(tx, { topic: 'orders', payload: 'ghost' }));
      const { ids } = await send(t, { topic: 'orders', payload: 'real' });
      const { messages } = await claimAll(t.store);
      assert.deepEqual(messages.map((m) => m.id), ids);
      assert.equal(await t.rowCount(), 1);
    });

    it('hands over every field intact, in position order', async () => {
      const t = await harness.create();
      const bytes = Uint8Array.from([0, 1, 2, 255]);
      const { ids } = await send(t, [
        { topic: 'a', key: 'k1', payload: { n: 1, s: 'é' }, headers: { h: 'v' }, traceContext: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', tracestate: 'x=1' } },
        { topic: 'b', payload: bytes, contentType: 'application/x-test' },
        { topic: 'c', payload: [3] },
      ]);
      const { messages } = await claimAll(t.store);
      assert.deepEqual(messages.map((m) => m.id), ids);
      const [first, second] = messages;
      assert.equal(first!.topic, 'a');
      assert.equal(first!.key, 'k1');
      assert.deepEqual(parsePayload(first!), { n: 1, s: 'é' });
      assert.equal(first!.contentType, 'application/json');
      assert.deepEqual(first!.headers, { h: 'v', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', tracestate: 'x=1' });
      assert.equal(first!.attempts, 0);
      assert.ok(first!.createdAt instanceof Date && first!.availableAt instanceof Date);
      assert.deepEqual([...second!.payload], [...bytes]);
      assert.equal(second!.contentType, 'application/x-test');
      assert.equal(second!.key, null);
    });

    it('rejects bad input with the field named, and writes nothing', async () => {
      const t = await harness.create();
      const outbox = createOutbox({ store: t.store });
      await assert.rejects(t.commit((tx) => outbox.send(tx, [{ topic: 'ok', payload: 1 }, { topic: '', payload: 2 }])), { code: 'INVALID_ARGUMENT', field: 'messages[1].topic' });
      await assert.rejects(t.commit((tx) => outbox.send(tx, { topic: 't', payload: 1, id: 'not-a-uuid' })), { code: 'INVALID_ARGUMENT', field: 'messages[0].id' });
      await assert.rejects(t.commit((tx) => outbox.send(tx, { topic: 't', payload: 1n })), { code: 'INVALID_ARGUMENT', field: 'messages[0].payload' });
      assert.equal(await t.rowCount(), 0);
    });

    it('refuses a second message with the same id', async () => {
      const t = await harness.create();
      const { ids } = await send(t, { topic: 't', payload: 1 });
      await assert.rejects(send(t, { id: ids[0], topic: 't', payload: 2 }), { code: 'DUPLICATE_ID', field: 'messages[0].id', value: ids[0] });
      // Every store names the message at fault the same way, whatever its position in the call.
      await assert.rejects(send(t, [{ topic: 't', payload: 3 }, { id: ids[0], topic: 't', payload: 2 }]), { code: 'DUPLICATE_ID', field: 'messages[1].id', value: ids[0] });
      assert.equal(await t.rowCount(), 1);
    });

    it('deletes delivered messages and retries failed ones after their delay', async () => {
      const t = await harness.create();
      const { ids } = await send(t, [{ topic: 't', payload: 1 }, { topic: 't', payload: 2 }]);
      const batch = (await t.store.claim({ limit: 10 }))!;
      const result = await t.store.settle(batch, { delivered: [ids[0]!], failed: [{ id: ids[1]!, error: 'boom', retryInMs: 400, dead: false }], released: [] });
      assert.equal(result.lost, 0);
      assert.equal(await t.rowCount(), 1);
      assert.equal((await claimAll(t.store)).messages.length, 0, 'not before its retry delay');
      await sleep(450);
      const again = await claimAll(t.store);
      assert.deepEqual(again.messages.map((m) => [m.id, m.attempts]), [[ids[1], 1]]);
    });

    it('keeps dead letters with their error, and can requeue or discard them', async () => {
      const t = await harness.create();
      const { ids } = await send(t, [{ topic: 't', payload: 1 }, { topic: 't', payload: 2 }]);
      const batch = (await t.store.claim({ limit: 10 }))!;
      await t.store.settle(batch, { delivered: [], released: [], failed: ids.map((id) => ({ id, error: `bad ${id}`, retryInMs: 0, dead: true })) });
      assert.equal((await claimAll(t.store)).messages.length, 0);
      const dead = await t.store.listDeadLetters();
      assert.deepEqual(dead.map((d) => [d.id, d.error, d.attempts]), ids.map((id) => [id, `bad ${id}`, 1]));
      assert.ok(dead[0]!.deadAt instanceof Date);
      assert.equal(await t.store.requeueDeadLetters([ids[0]!]), 1);
      assert.equal(await t.store.discardDeadLetters([ids[1]!, ids[0]!]), 1, 'only dead letters are discarded');
      const back = await claimAll(t.store);
      assert.deepEqual(back.messages.map((m) => [m.id, m.attempts]), [[ids[0], 0]]);
      assert.equal((await t.store.listDeadLetters()).length, 0);
    });

    it('leaves a dead letter dead when requeueing it would break the pending dedup-key rule, and requeues the rest', async () => {
      const t = await harness.create();
      const kill = async (ids: readonly string[]) => {
        const batch = (await t.store.claim({ limit: 10 }))!;
        assert.deepEqual(batch.messages.map((m) => m.id).sort(), [...ids].sort());
        await t.store.settle(batch, { delivered: [], released: [], failed: ids.map((id) => ({ id, error: 'gone', retryInMs: 0, dead: true })) });
      };
      const { ids: [shadowed, plain] } = await send(t, [{ topic: 't', payload: 1, dedupKey: 'invoice-1' }, { topic: 't', payload: 2 }]);
      await kill([shadowed!, plain!]);
      const { ids: [newer] } = await send(t, { topic: 't', payload: 3, dedupKey: 'invoice-1' });
      // Two dead letters of one dedup key, none pending: only one of them can come back.
      const { ids: [twinA] } = await send(t, { topic: 't', payload: 4, dedupKey: 'invoice-2' });
      const first = (await t.store.claim({ limit: 10 }))!;
      await t.store.settle(first, { delivered: [newer!], released: [], failed: [{ id: twinA!, error: 'gone', retryInMs: 0, dead: true }] });
      const { ids: [twinB] } = await send(t, { topic: 't', payload: 5, dedupKey: 'invoice-2' });
      await kill([twinB!]);
      const { ids: [again] } = await send(t, { topic: 't', payload: 6, dedupKey: 'invoice-1' });
      // Pending now: `again` (invoice-1). Dead: shadowed (invoice-1), plain, twinA and twinB (invoice-2).
      assert.equal(await t.store.requeueDeadLetters([shadowed!, plain!, twinB!, twinA!]), 2, 'the pending message and the first twin win');
      assert.equal(await t.store.requeueDeadLetters([plain!]), 0, 'requeueing twice changes nothing');
      assert.equal(await t.store.requeueDeadLetters([twinA!], { position: 'end' }), 0, 'at the end too');
      assert.deepEqual((await t.store.listDeadLetters()).map((d) => d.id), [shadowed, twinA]);
      assert.deepEqual((await claimAll(t.store)).messages.map((m) => m.id), [plain, twinB, again]);
      await assert.rejects(t.store.requeueDeadLetters([plain!], { position: 'last' as never }), { code: 'INVALID_ARGUMENT', field: 'position' });
    });

    it('requeues dead letters at the end when asked: behind their key\'s pending messages, in their own order', async () => {
      const t = await harness.create();
      const { ids: [h1, h2] } = await send(t, [{ topic: 't', key: 'K', payload: 'h1' }, { topic: 't', key: 'K', payload: 'h2' }]);
      for (const id of [h1!, h2!]) {
        const batch = (await t.store.claim({ limit: 10 }))!;
        assert.equal(batch.messages[0]!.id, id, 'the key\'s head comes first');
        const released = batch.messages.slice(1).map((m) => m.id);
        await t.store.settle(batch, { delivered: [], released, failed: [{ id, error: 'gone', retryInMs: 0, dead: true }] });
      }
      const { ids: [later] } = await send(t, [{ topic: 't', key: 'K', payload: 'later' }]);
      assert.equal(await t.store.requeueDeadLetters([h2!, h1!], { position: 'end' }), 2);
      const batch = (await t.store.claim({ limit: 10 }))!;
      assert.deepEqual(batch.messages.map((m) => m.id), [later, h1, h2], 'the pending message first, then the two in their old order');
      await t.store.settle(batch, settleAll(batch.messages));
      assert.equal(await t.rowCount(), 0);
    });

    it('does not hand out a delayed message early', async () => {
      const t = await harness.create();
      const { ids } = await send(t, [{ topic: 't', payload: 1, delayMs: 500 }, { topic: 't', payload: 2, availableAt: new Date(Date.now() + 60_000) }]);
      assert.equal((await claimAll(t.store)).messages.length, 0);
      await sleep(550);
      assert.deepEqual((await claimAll(t.store)).messages.map((m) => m.id), [ids[0]]);
    });

    it('skips a message whose dedup key is pending, and stores it again once delivered', async () => {
      const t = await harness.create();
      const first = await send(t, { topic: 't', payload: 1, dedupKey: 'page:7' });
      assert.deepEqual(first.duplicates, []);
      const second = await send(t, [{ topic: 't', payload: 2, dedupKey: 'page:7' }, { topic: 't', payload: 3, dedupKey: 'page:8' }]);
      assert.deepEqual(second.duplicates, [second.ids[0]]);
      const batch = (await t.store.claim({ limit: 10 }))!;
      assert.deepEqual(batch.messages.map((m) => parsePayload(m)), [1, 3]);
      await t.store.settle(batch, settleAll(batch.messages));
      const third = await send(t, { topic: 't', payload: 4, dedupKey: 'page:7' });
      assert.deepEqual(third.duplicates, []);
    });

    it('holds back later messages of a key while an older one is in backoff or claimed', async () => {
      const t = await harness.create();
      const { ids } = await send(t, [
        { topic: 't', key: 'a', payload: 'a1' },
        { topic: 't', key: 'b', payload: 'b1' },
        { topic: 't', key: 'a', payload: 'a2' },
        { topic: 't', payload: 'free' },
      ]);
      const only = (await t.store.claim({ limit: 1 }))!;
      assert.deepEqual(only.messages.map((m) => m.id), [ids[0]]);
      const other = await (await t.second()).claim({ limit: 10 });
      assert.deepEqual(other!.messages.map((m) => parsePayload(m)), ['b1', 'free'], 'a2 waits for a1, held by the first claim');
      await t.store.settle(only, { delivered: [], released: [], failed: [{ id: ids[0]!, error: 'x', retryInMs: 60_000, dead: false }] });
      await (await t.second()).settle(other!, settleAll(other!.messages));
      assert.equal((await claimAll(t.store)).messages.length, 0, 'a2 waits while a1 is in backoff');
    });

    it('lets other keys through while a key is blocked, however deep its backlog', async () => {
      const t = await harness.create();
      const limit = 5;
      const backlog = (key: string, first: object = {}) => [{ topic: 't', key, payload: `${key}0`, ...first }, ...Array.from({ length: 5 * limit }, (_, n) => ({ topic: 't', key, payload: `${key}${n + 1}` }))];
      const { ids } = await send(t, [...backlog('failing'), ...backlog('delayed', { delayMs: 60_000 }), ...backlog('held'), { topic: 't', key: 'x', payload: 'x' }, { topic: 't', payload: 'free' }]);
      const head = (await t.store.claim({ limit: 1 }))!;
      assert.deepEqual(head.messages.map((m) => m.id), [ids[0]]);
      await t.store.settle(head, { delivered: [], released: [], failed: [{ id: ids[0]!, error: 'x', retryInMs: 60_000, dead: false }] });
      // A second relay takes the held key's head and keeps it.
      const other = await t.second();
      const held = (await other.claim({ limit: 1 }))!;
      assert.deepEqual(held.messages.map((m) => parsePayload(m)), ['held0']);
      const next = (await t.store.claim({ limit }))!;
      assert.deepEqual(next.messages.map((m) => parsePayload(m)), ['x', 'free'], 'in backoff, delayed and held heads hold back only their own keys');
      await t.store.settle(next, settleAll(next.messages));
      await other.settle(held, settleAll(held.messages));
      const resumed = (await t.store.claim({ limit }))!;
      assert.deepEqual(resumed.messages.map((m) => parsePayload(m)), ['held1', 'held2', 'held3', 'held4', 'held5'], 'the held key resumes in order');
      await t.store.settle(resumed, settleAll(resumed.messages));
    });

    it('fences out a claim whose message a debounce rewrote after the claim expired', async () => {
      const t = await harness.create({ claimTimeoutMs: 400 });
      if (!t.store.replacePending) return;
      await send(t, { topic: 't', payload: 'old', dedupKey: 'doc:1' });
      const stale = (await t.store.claim({ limit: 10 }))!;
      await sleep(t.store.claimTimeoutMs + 300);
      const [rewrite] = encodeMessages({ topic: 't', payload: 'new', dedupKey: 'doc:1' });
      let replaced = false;
      await t.commit(async (tx) => (replaced = await t.store.replacePending!(tx, rewrite!)));
      assert.equal(replaced, true, 'an expired claim does not hold the row');
      const late = await t.store.settle(stale, settleAll(stale.messages)).then(
        (r) => r.lost,
        (e: { code?: string }) => (e.code === 'CLAIM_LOST' ? stale.messages.length : Promise.reject(e)),
      );
      assert.equal(late, 1, 'the zombie acknowledges nothing');
      const fresh = await claimAll(t.store);
      assert.deepEqual(fresh.messages.map((m) => [m.id, parsePayload(m)]), [[rewrite!.id, 'new']], 'the new content is still to be delivered');
    });

    it('leaves a claimed message alone when a debounce would rewrite it, without waiting for the claim', async () => {
      const t = await harness.create();
      if (!t.store.replacePending || harness.debounceWaitsForHeldClaims) return;
      await send(t, { topic: 't', payload: 'old', dedupKey: 'doc:2' });
      const held = (await t.store.claim({ limit: 10 }))!;
      const [rewrite] = encodeMessages({ topic: 't', payload: 'new', dedupKey: 'doc:2' });
      let replaced: boolean | undefined;
      const attempt = t.commit(async (tx) => (replaced = await t.store.replacePending!(tx, rewrite!)));
      const outcome = await Promise.race([attempt.then(() => 'answered'), sleep(2000).then(() => 'waited')]);
      await t.store.settle(held, settleAll(held.messages));
      await attempt;
      assert.equal(outcome, 'answered', 'the claim may be held by the very consumer that debounces');
      assert.equal(replaced, false, 'a held message takes no rewrite: the caller uses the follower slot');
    });

    it('lets a key flow again once its head is dead-lettered', async () => {
      const t = await harness.create();
      const { ids } = await send(t, [{ topic: 't', key: 'a', payload: 1 }, { topic: 't', key: 'a', payload: 2 }]);
      const batch = (await t.store.claim({ limit: 1 }))!;
      await t.store.settle(batch, { delivered: [], released: [], failed: [{ id: ids[0]!, error: 'x', retryInMs: 0, dead: true }] });
      assert.deepEqual((await claimAll(t.store)).messages.map((m) => m.id), [ids[1]]);
    });

    it('gives an abandoned claim to another relay after the claim timeout, and fences the first', async () => {
      const t = await harness.create({ claimTimeoutMs: 400 });
      await send(t, [{ topic: 't', key: 'k', payload: 1 }, { topic: 't', key: 'k', payload: 2 }]);
      const stale = (await t.store.claim({ limit: 10 }))!;
      assert.equal(stale.messages.length, 2);
      const other = await t.second();
      assert.equal((await claimAll(other)).messages.length, 0, 'held while the claim is fresh');
      // A store may round the timeout up to what its server can enforce (MySQL's lock mode: whole seconds).
      await sleep(t.store.claimTimeoutMs + 300);
      const fresh = (await other.claim({ limit: 10 }))!;
      assert.deepEqual(fresh.messages.map((m) => m.id), stale.messages.map((m) => m.id));
      const late = await t.store.settle(stale, settleAll(stale.messages)).then(
        (r) => r.lost,
        (e: { code?: string }) => (e.code === 'CLAIM_LOST' ? stale.messages.length : Promise.reject(e)),
      );
      assert.equal(late, 2, 'the zombie acknowledges nothing');
      assert.equal((await other.settle(fresh, settleAll(fresh.messages))).lost, 0);
      assert.equal(await t.rowCount(), 0);
    });

    it('delivers everything once, keys in order, with two relays racing', async () => {
      const t = await harness.create();
      const perKey = 30;
      const keys = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5'];
      const expected = keys.flatMap((key) => Array.from({ length: perKey }, (_, n) => ({ topic: 't', key, payload: { key, n } })));
      const delivered: { key: string; n: number }[] = [];
      const slowProducer = async (batch: readonly OutboxMessage[]) => {
        await sleep(Math.random() * 5);
        for (const m of batch) delivered.push(parsePayload(m));
      };
      const relays = [t.store, await t.second()].map((store) => createRelay({ store, producer: slowProducer, batchSize: 7, pollIntervalMs: 20 }));
      relays.forEach((r) => r.start());
      try {
        for (let i = 0; i < expected.length; i += 12) await send(t, expected.slice(i, i + 12));
        await eventually(async () => delivered.length >= expected.length && (await t.rowCount()) === 0, 20_000, 'all delivered');
      } finally {
        await Promise.all(relays.map((r) => r.stop()));
      }
      assert.equal(delivered.length, expected.length, 'no duplicates without faults');
      for (const key of keys) {
        assert.deepEqual(delivered.filter((d) => d.key === key).map((d) => d.n), Array.from({ length: perKey }, (_, n) => n), `order of ${key}`);
      }
    });

    it('marks delivered messages processed and removes them at cleanup', async () => {
      const t = await harness.create({ completion: 'markProcessed' });
      await send(t, [{ topic: 't', payload: 1 }, { topic: 't', payload: 2 }]);
      const batch = (await t.store.claim({ limit: 10 }))!;
      await t.store.settle(batch, settleAll(batch.messages));
      assert.equal(await t.rowCount(), 2, 'kept after delivery');
      assert.equal((await claimAll(t.store)).messages.length, 0, 'never delivered again');
      assert.equal(await t.store.cleanup(60_000, 10), 0, 'younger than max age');
      await sleep(20);
      assert.equal(await t.store.cleanup(1, 1), 1, 'bounded by the limit');
      assert.equal(await t.store.cleanup(1, 10), 1);
      assert.equal(await t.rowCount(), 0);
    });

    it('works on a table and columns of the user\'s choosing', async () => {
      const t = await harness.create({ table: 'custom_outbox', columns: { position: 'seq', id: 'message_id', payload: 'body', key: 'partition_key' } });
      if (harness.sql) {
        assert.match(t.store.schemaSql(), /custom_outbox/);
        assert.match(t.store.schemaSql(), /"seq"|`seq`/);
      }
      const producer = createRecordingProducer();
      const { ids } = await send(t, [{ topic: 't', key: 'p', payload: 1 }, { topic: 't', key: 'p', payload: 2 }]);
      const relay = createRelay({ store: t.store, producer });
      await relay.runOnce();
      assert.deepEqual(producer.messages.map((m) => m.id), ids);
      assert.equal(await t.rowCount(), 0);
    });

    it('counts pending, due, delayed, in-flight and dead messages, and the lag of due ones only', async () => {
      const t = await harness.create();
      assert.ok(t.store.stats, 'every txbox store answers stats()');
      const stats = (byTopic = false) => t.store.stats!({ byTopic });
      const first = await send(t, [{ topic: 't', payload: 'dies' }, { topic: 't', payload: 'backs off' }]);
      const failing = (await t.store.claim({ limit: 10 }))!;
      await t.store.settle(failing, {
        delivered: [],
        released: [],
        failed: [{ id: first.ids[0]!, error: 'bad', retryInMs: 0, dead: true }, { id: first.ids[1]!, error: 'later', retryInMs: 60_000, dead: false }],
      });
      const backoff = await stats();
      // A store that cannot see claims (MySQL's lock mode) says so with null, never with a wrong number.
      const heldKnown = backoff.inFlight !== null;
      assert.deepEqual(backoff, { pending: 1, due: 0, delayed: 1, inFlight: heldKnown ? 0 : null, dead: 1, lagMs: 0, oldestDueAt: null }, 'a message in backoff is delayed, not lag');

      await send(t, [{ topic: 't', payload: 'held' }, { topic: 'other', payload: 'waits' }, { topic: 't', payload: 'later', delayMs: 60_000 }]);
      const held = (await t.store.claim({ limit: 1 }))!;
      assert.equal(held.messages.length, 1);
      await sleep(60);
      const now = await stats(true);
      assert.equal(now.pending, 4, 'backoff, held, waiting and delayed');
      assert.equal(now.delayed, 2, 'in backoff and sent with a delay');
      assert.equal(now.inFlight, heldKnown ? 1 : null, 'the held message, counted once');
      assert.equal(now.due, heldKnown ? 1 : 2);
      assert.equal(now.pending, now.due + now.delayed + (now.inFlight ?? 0), 'each pending message in exactly one state');
      assert.equal(now.dead, 1);
      assert.ok(now.lagMs >= 40 && now.lagMs < 30_000, `lag of the oldest due message: ${now.lagMs} ms`);
      assert.ok(now.oldestDueAt instanceof Date);
      assert.deepEqual(now.byTopic?.other, { pending: 1, due: 1, delayed: 0, inFlight: heldKnown ? 0 : null, dead: 0, lagMs: now.byTopic?.other?.lagMs, oldestDueAt: now.byTopic?.other?.oldestDueAt });
      assert.equal(now.byTopic?.t?.pending, 3);
      assert.equal(now.byTopic?.t?.dead, 1);

      await t.store.settle(held, settleAll(held.messages));
      const after = await stats();
      assert.deepEqual([after.pending, after.inFlight ?? 0, after.due, after.dead], [3, 0, 1, 1], 'delivered messages leave the counts');
    });
  });
}
