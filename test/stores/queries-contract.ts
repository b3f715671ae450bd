import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ATTEMPT_HISTORY_LIMIT, createOutbox, type MessageInput, type MessageQueries, type StoredMessage } from '../../src/core/index.js';
import { sleep } from '../support/env.js';
import type { StoreHarness, StoreUnderTest } from './harness.js';

/** The consumers' header that marks a poisoned message of one consumer. */
const CONSUMER = 'txbox-consumer';

async function send(t: StoreUnderTest, messages: MessageInput | MessageInput[]): Promise<string[]> {
  const outbox = createOutbox({ store: t.store });
  let ids: string[] = [];
  await t.commit(async (tx) => (ids = [...(await outbox.send(tx, messages)).ids]));
  return ids;
}

/**
 * Claims what is claimable and settles it: `fail` ids fail (dead or retried in a minute),
 * `deliver` ids are delivered, the others released.
 */
async function settle(t: StoreUnderTest, outcome: { dead?: string[]; retry?: string[]; deliver?: string[]; error?: string }) {
  const batch = await t.store.claim({ limit: 1000 });
  if (!batch) return;
  const ids = batch.messages.map((m) => m.id);
  const dead = new Set(outcome.dead ?? []);
  const retry = new Set(outcome.retry ?? []);
  const deliver = new Set(outcome.deliver ?? []);
  for (const id of [...dead, ...retry, ...deliver]) assert.ok(ids.includes(id), `message ${id} was not claimable`);
  await t.store.settle(batch, {
    delivered: ids.filter((id) => deliver.has(id)),
    failed: ids.filter((id) => dead.has(id) || retry.has(id)).map((id) => ({ id, error: outcome.error ?? `Broker said NO to ${id}`, retryInMs: 60_000, dead: dead.has(id) })),
    released: ids.filter((id) => !dead.has(id) && !retry.has(id) && !deliver.has(id)),
  });
}

const idsOf = (messages: readonly StoredMessage[]) => messages.map((m) => m.id);

/**
 * The query API every store promises (store.query). Registers its cases and returns the harness,
 * so a store's test file wraps it: `storeContract(queriesContract(harness))`. The store contract,
 * registered after, closes the harness.
 */
export function queriesContract(harness: StoreHarness): StoreHarness {
  describe(`query contract: ${harness.name}`, () => {
    const open = async () => {
      const t = await harness.create();
      assert.ok(t.store.query, 'the store offers store.query');
      return { t, q: t.store.query as MessageQueries };
    };

    it('lists messages by state and filters them by topic, key, age, error and header', async () => {
      const { t, q } = await open();
      const [old1, old2] = await send(t, [
        { topic: 'orders', key: 'k1', payload: 1 },
        { topic: 'mail', payload: 2, headers: { [CONSUMER]: 'billing' } },
      ]);
      await sleep(60);
      const between = new Date();
      await sleep(60);
      const [fresh, delayed, failing] = await send(t, [
        { topic: 'orders', key: 'k2', payload: 3 },
        { topic: 'orders', payload: 4, delayMs: 60_000 },
        { topic: 'mail', payload: 5, headers: { [CONSUMER]: 'email' } },
      ]);
      await settle(t, { dead: [old2!], retry: [failing!], error: 'Timeout talking to SMTP' });
      const list = async (filter: Parameters<MessageQueries['list']>[0]) => {
        const page = await q.list(filter);
        assert.equal(page.total, page.messages.length, 'one page holds them all');
        return idsOf(page.messages);
      };
      assert.deepEqual(await list({}), [old1, fresh, delayed, failing], 'pending by default, in outbox order');
      assert.deepEqual(await list({ state: 'due' }), [old1, fresh]);
      assert.deepEqual(await list({ state: 'delayed' }), [delayed, failing], 'a delay and a backoff are both delayed');
      assert.deepEqual(await list({ state: 'dead' }), [old2]);
      assert.deepEqual(await list({ state: 'inFlight' }), []);
      assert.deepEqual(await list({ topic: 'orders' }), [old1, fresh, delayed]);
      assert.deepEqual(await list({ key: 'k2' }), [fresh]);
      assert.deepEqual(await list({ createdBefore: between }), [old1], 'older than');
      assert.deepEqual(await list({ createdAfter: between, topic: 'orders' }), [fresh, delayed], 'newer than');
      assert.deepEqual(await list({ state: 'delayed', error: 'SMTP' }), [failing], 'error text is a substring');
      assert.deepEqual(await list({ state: 'delayed', error: 'smtp' }), [], 'and case-sensitive');
      assert.deepEqual(await list({ state: 'dead', header: { name: CONSUMER, value: 'billing' } }), [old2]);
      assert.deepEqual(await list({ state: 'dead', header: { name: CONSUMER, value: 'bill' } }), [], 'a header value matches whole');
      const [dead] = (await q.list({ state: 'dead' })).messages;
      assert.equal(dead!.state, 'dead');
      assert.equal(dead!.attempts, 1);
      assert.equal(dead!.lastError, 'Timeout talking to SMTP');
      assert.ok(dead!.deadAt instanceof Date);
      assert.deepEqual(dead!.headers, { [CONSUMER]: 'billing' });
    });

    it('tells in-flight messages from due ones where the claim is visible', async () => {
      const { t, q } = await open();
      const [held] = await send(t, { topic: 't', payload: 1 });
      const batch = (await t.store.claim({ limit: 10 }))!;
      try {
        const [inFlight, due] = await Promise.all([q.list({ state: 'inFlight' }), q.list({ state: 'due' })]);
        if (q.inFlightVisible) {
          assert.deepEqual([idsOf(inFlight.messages), due.total], [[held], 0]);
          assert.equal((await q.get(held!))!.state, 'inFlight');
        } else {
          assert.deepEqual([inFlight.total, idsOf(due.messages)], [0, [held]], 'a transaction-held claim shows as due');
        }
      } finally {
        await t.store.settle(batch, { delivered: [], failed: [], released: [held!] });
      }
    });

    it('pages by position, stable under concurrent inserts, with a total count', async () => {
      const { t, q } = await open();
      const first = await send(t, Array.from({ length: 23 }, (_, i) => ({ topic: 'p', key: `k${i % 3}`, payload: i })));
      const seen: string[] = [];
      const totals: number[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < 10; page++) {
        const result = await q.list({ topic: 'p', limit: 5, cursor });
        seen.push(...idsOf(result.messages));
        totals.push(result.total);
        // Writers keep going while an operator pages: new rows come after the cursor, never before it.
        await send(t, { topic: 'p', key: 'k0', payload: 'late' });
        if (result.next === null) break;
        cursor = result.next;
      }
      assert.equal(new Set(seen).size, seen.length, 'no message twice');
      assert.deepEqual(seen.slice(0, first.length), first, 'every message written before, in order');
      assert.equal(totals[0], 23);
      assert.ok(totals.every((n, i) => i === 0 || n > totals[i - 1]!), `totals grow with the inserts: ${totals}`);
      const last = await q.list({ topic: 'p', limit: 1000 });
      assert.equal(last.next, null);
      assert.equal(last.total, last.messages.length);
      await assert.rejects(q.list({ cursor: 'abc' }), { code: 'INVALID_ARGUMENT', field: 'cursor' });
      await assert.rejects(q.list({ limit: 0 }), { code: 'INVALID_ARGUMENT', field: 'limit' });
      await assert.rejects(q.list({ state: 'stuck' as 'dead' }), { code: 'INVALID_ARGUMENT', field: 'state' });
    });

    it('shows one message by id, in any state', async () => {
      const { t, q } = await open();
      const [id] = await send(t, { topic: 'one', key: 'k', payload: { a: 1 }, headers: { h: 'v' } });
      const due = (await q.get(id!))!;
      assert.deepEqual([due.id, due.state, due.topic, due.key, due.attempts, due.lastError, due.deadAt], [id, 'due', 'one', 'k', 0, null, null]);
      assert.deepEqual(JSON.parse(Buffer.from(due.payload).toString()), { a: 1 });
      await settle(t, { retry: [id!], error: 'first try failed' });
      const retried = (await q.get(id!))!;
      assert.deepEqual([retried.state, retried.attempts, retried.lastError], ['delayed', 1, 'first try failed']);
      assert.equal(await q.get('0190a8b2-0000-7000-8000-000000000000'), null);
      await assert.rejects(q.get('nope'), { code: 'INVALID_ARGUMENT', field: 'id' });
    });

    it('keeps the last failed attempts of a message: number, time, error and relay, oldest first', async () => {
      const { t, q } = await open();
      const [id, ok] = await send(t, [{ topic: 'h', payload: 1 }, { topic: 'h', payload: 2 }]);
      const started = Date.now();
      for (let attempt = 1; attempt <= ATTEMPT_HISTORY_LIMIT + 2; attempt++) {
        const batch = (await t.store.claim({ limit: 10 }))!;
        const dead = attempt === ATTEMPT_HISTORY_LIMIT + 2;
        const delivered = attempt === 1 ? [ok!] : [];
        await t.store.settle(batch, { delivered, released: [], failed: [{ id: id!, error: `HTTP 503 (try ${attempt})`, retryInMs: 0, dead }], relay: `host-a:${attempt % 2}` });
      }
      const dead = (await q.get(id!))!;
      assert.equal(dead.state, 'dead');
      assert.deepEqual(
        dead.history.map((h) => [h.attempt, h.error, h.relay]),
        Array.from({ length: ATTEMPT_HISTORY_LIMIT }, (_, i) => [i + 3, `HTTP 503 (try ${i + 3})`, `host-a:${(i + 3) % 2}`]),
        'the oldest attempts are dropped past the limit',
      );
      assert.ok(dead.history.every((h, i) => h.at.getTime() >= started - 5000 && (i === 0 || h.at >= dead.history[i - 1]!.at)));
      assert.equal(await q.redrive({ topic: 'h' }), 1);
      const batch = (await t.store.claim({ limit: 10 }))!;
      await t.store.settle(batch, { delivered: [], released: [], failed: [{ id: id!, error: 'after the redrive', retryInMs: 60_000, dead: false }] });
      const retried = (await q.get(id!))!;
      assert.equal(retried.history.length, ATTEMPT_HISTORY_LIMIT, 'a redrive keeps the history');
      assert.deepEqual([retried.history.at(-1)!.attempt, retried.history.at(-1)!.error, retried.history.at(-1)!.relay], [1, 'after the redrive', null], 'and attempts count from 1 again');
      const { keys } = await q.blockedKeys();
      assert.deepEqual(keys, [], 'an unkeyed message blocks no key');
    });

    it('redrives dead letters by filter in batches, keeping their ids, and discards by filter', async () => {
      const { t, q } = await open();
      const boom = await send(t, Array.from({ length: 5 }, (_, i) => ({ topic: 'x', payload: i })));
      const other = await send(t, [{ topic: 'x', payload: 'o1' }, { topic: 'y', payload: 'o2' }]);
      await settle(t, { dead: boom, error: 'boom: 500' });
      await settle(t, { dead: other, error: 'refused' });
      assert.equal(await q.redrive({ error: 'boom' }, { batchSize: 2 }), 5);
      const due = await q.list({ state: 'due' });
      assert.deepEqual(idsOf(due.messages), boom, 'the same ids, back to pending');
      assert.ok(due.messages.every((m) => m.attempts === 0 && m.lastError === null && m.deadAt === null));
      assert.deepEqual(idsOf((await q.list({ state: 'dead' })).messages), other, 'the others stay dead');
      const claimed = (await t.store.claim({ limit: 10 }))!;
      assert.deepEqual(claimed.messages.map((m) => m.id), boom, 'a relay delivers them under their ids');
      await t.store.settle(claimed, { delivered: boom, failed: [], released: [] });
      assert.equal(await q.redrive({ topic: 'x' }, { limit: 0 }), 0, 'limit bounds the redrive');
      assert.equal(await q.discard({ topic: 'y' }), 1);
      assert.deepEqual(idsOf((await q.list({ state: 'dead' })).messages), [other[0]]);
      await assert.rejects(q.redrive({ state: 'due' } as never), { code: 'INVALID_ARGUMENT', field: 'filter.state' });
      await assert.rejects(q.discard({}, { batchSize: 5000 }), { code: 'INVALID_ARGUMENT', field: 'batchSize' });
    });

    it('leaves a dead letter dead when its dedup key is pending again, and redrives the others', async () => {
      const { t, q } = await open();
      const [deduped, plain] = await send(t, [{ topic: 't', payload: 1, dedupKey: 'invoice-1' }, { topic: 't', payload: 2 }]);
      await settle(t, { dead: [deduped!, plain!] });
      const [newer] = await send(t, { topic: 't', payload: 3, dedupKey: 'invoice-1' });
      assert.equal(await q.redrive({}), 1, 'the pending message with the dedup key wins');
      assert.deepEqual(idsOf((await q.list({ state: 'dead' })).messages), [deduped]);
      assert.deepEqual(idsOf((await q.list({ state: 'pending' })).messages), [plain, newer]);
    });

    it('finds blocked keys: a failing or dead head, since when, and how many wait behind it', async () => {
      const { t, q } = await open();
      const [failingHead] = await send(t, [{ topic: 't', key: 'A', payload: 'a0' }]);
      const [deadHead] = await send(t, [{ topic: 't', key: 'B', payload: 'b0' }]);
      await send(t, [{ topic: 't', key: 'C', payload: 'c0' }, { topic: 't', key: 'D', payload: 'd0', delayMs: 60_000 }]);
      // Key E: a dead head with a failing message behind it is one blocked key, by its oldest.
      const [deadE, failingE] = await send(t, [{ topic: 't', key: 'E', payload: 'e0' }, { topic: 't', key: 'E', payload: 'e1' }]);
      await settle(t, { retry: [failingHead!, failingE!], dead: [deadHead!, deadE!], error: 'no route' });
      await send(t, [{ topic: 't', key: 'A', payload: 'a1' }, { topic: 't', key: 'A', payload: 'a2' }, { topic: 't', key: 'B', payload: 'b1' }]);
      const { keys, next } = await q.blockedKeys();
      assert.equal(next, null);
      assert.deepEqual(
        keys.map((k) => [k.key, k.reason, k.head.id, k.behind]),
        [['A', 'failing', failingHead, 2], ['B', 'dead', deadHead, 1], ['E', 'dead', deadE, 1]],
        'a healthy key and a delayed head are not blocked',
      );
      const [a, b] = keys;
      assert.equal(a!.head.lastError, 'no route');
      const [firstFailure] = (await q.get(failingHead!))!.history;
      assert.equal(a!.since.getTime(), firstFailure!.at.getTime(), 'a failing head: since its first failed attempt');
      assert.equal(b!.since.getTime(), b!.head.deadAt!.getTime());
      const firstPage = await q.blockedKeys({ limit: 1 });
      assert.deepEqual(firstPage.keys.map((k) => k.key), ['A']);
      const rest = await q.blockedKeys({ limit: 2, cursor: firstPage.next });
      assert.deepEqual([rest.keys.map((k) => k.key), rest.next], [['B', 'E'], null]);
    });

    it('redrives a dead head to the end of its key when asked: its key\'s pending messages go first', async () => {
      const { t, q } = await open();
      const [head, passed] = await send(t, [{ topic: 't', key: 'K', payload: 'head' }, { topic: 't', key: 'K', payload: 'passed' }]);
      await settle(t, { dead: [head!] });
      await settle(t, { deliver: [passed!] });
      const [later] = await send(t, { topic: 't', key: 'K', payload: 'later' });
      await assert.rejects(q.redrive({ key: 'K' }, { position: 'first' as never }), { code: 'INVALID_ARGUMENT', field: 'position' });
      assert.equal(await q.redrive({ key: 'K' }, { position: 'end' }), 1);
      assert.deepEqual(idsOf((await q.list({ key: 'K' })).messages), [later, head], 'listed in its new place');
      const batch = (await t.store.claim({ limit: 10 }))!;
      await t.store.settle(batch, { delivered: [], failed: [], released: batch.messages.map((m) => m.id) });
      assert.deepEqual(batch.messages.map((m) => m.id), [later, head]);
    });

    it('requeues a dead head in its old place: before its key\'s pending messages, after those delivered meanwhile', async () => {
      const { t, q } = await open();
      const [head, passed] = await send(t, [{ topic: 't', key: 'K', payload: 'head' }, { topic: 't', key: 'K', payload: 'passed' }]);
      await settle(t, { dead: [head!] });
      await settle(t, { deliver: [passed!] });
      const [later] = await send(t, { topic: 't', key: 'K', payload: 'later' });
      assert.equal(await q.redrive({ key: 'K' }), 1);
      const batch = (await t.store.claim({ limit: 10 }))!;
      await t.store.settle(batch, { delivered: [], failed: [], released: batch.messages.map((m) => m.id) });
      assert.deepEqual(batch.messages.map((m) => m.id), [head, later]);
    });
  });
  return harness;
}
