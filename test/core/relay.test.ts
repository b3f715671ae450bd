import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createOutbox, createRelay, PermanentFailure, WakeChannel, type RelayEvent, type RelayOptions } from '../../src/core/index.js';
import { markMalformed } from '../../src/core/message.js';
import { createFakeClock, createMemoryStore, createRecordingProducer } from '../../src/testing/index.js';

type FailWhen = NonNullable<Parameters<typeof createRecordingProducer>[0]>['failWhen'];

function setup(overrides: Partial<RelayOptions> = {}, failWhen?: FailWhen) {
  const clock = createFakeClock();
  const store = createMemoryStore({ clock, claimTimeoutMs: 30_000 });
  const outbox = createOutbox({ store });
  const producer = createRecordingProducer({ failWhen });
  const events: RelayEvent[] = [];
  const relay = createRelay({ store, producer, clock, random: () => 0, pollIntervalMs: 1000, onEvent: (e) => events.push(e), ...overrides });
  const write = (messages: Parameters<typeof outbox.send>[1]) => store.transaction((tx) => outbox.send(tx, messages));
  return { clock, store, outbox, producer, relay, events, write };
}

const ids = (ms: readonly { id: string }[]) => ms.map((m) => m.id);

describe('relay on the memory store', () => {
  it('delivers committed messages in order and deletes them', async () => {
    const { relay, producer, store, write, clock } = setup();
    const { ids: written } = await write([1, 2, 3].map((n) => ({ topic: 't', key: 'k', payload: n })));
    relay.start();
    await clock.flush();
    assert.deepEqual(ids(producer.messages), written);
    assert.equal(store.pendingCount(), 0);
    await relay.stop();
  });

  it('does not deliver a rolled-back transaction', async () => {
    const { relay, producer, store, outbox } = setup();
    await assert.rejects(store.transaction(async (tx) => {
      await outbox.send(tx, { topic: 't', payload: 1 });
      throw new Error('rollback');
    }));
    assert.equal(await relay.runOnce(), null);
    assert.equal(producer.messages.length, 0);
  });

  it('wakes on a commit nudge without waiting for the poll interval', async () => {
    const { relay, producer, write, clock } = setup({ pollIntervalMs: 5000 });
    relay.start();
    await clock.flush();
    await write({ topic: 't', payload: 'now' });
    await clock.flush();
    assert.equal(producer.messages.length, 1, 'delivered with no time passing');
    await relay.stop();
  });

  it('finds a commit it was not told about at the next poll', async () => {
    const clock = createFakeClock();
    const store = createMemoryStore({ clock });
    const producer = createRecordingProducer();
    // Same table, but this relay hears none of the store's commit nudges.
    const relay = createRelay({ store: { ...store, wakes: new WakeChannel() }, producer, clock, pollIntervalMs: 5000 });
    relay.start();
    await clock.flush();
    await store.transaction((tx) => createOutbox({ store }).send(tx, { topic: 't', payload: 'quiet' }));
    await clock.advance(4999);
    assert.equal(producer.messages.length, 0, 'not before the poll interval');
    await clock.advance(1);
    assert.equal(producer.messages.length, 1, 'found by the poll');
    await relay.stop();
  });

  it('retries a failed message with exponential backoff, then dead-letters it', async () => {
    const { relay, producer, store, write, clock, events } = setup(
      { maxAttempts: 3, retry: { initialMs: 1000, multiplier: 2, maxMs: 60_000, jitter: 0 } },
      () => new Error('broker said no'),
    );
    const { ids: [id] } = await write({ topic: 't', payload: 1 });
    relay.start();
    await clock.flush();
    assert.equal(producer.batches.length, 1);
    await clock.advance(999);
    assert.equal(producer.batches.length, 1, 'not retried before the backoff');
    await clock.advance(1001);
    assert.equal(producer.batches.length, 2);
    await clock.advance(2000);
    assert.equal(producer.batches.length, 3);
    await clock.advance(60_000);
    assert.equal(producer.batches.length, 3, 'dead after maxAttempts');
    const dead = await store.listDeadLetters();
    assert.deepEqual(ids(dead), [id]);
    assert.equal(dead[0]!.error, 'broker said no');
    assert.equal(events.filter((e) => e.type === 'message.failed').length, 2);
    assert.equal(events.filter((e) => e.type === 'message.dead').length, 1);
    await relay.stop();
  });

  it('puts a dead letter back and delivers it', async () => {
    let fail = true;
    const { relay, producer, store, write } = setup({ maxAttempts: 1 }, () => (fail ? new Error('x') : undefined));
    const { ids: [id] } = await write({ topic: 't', payload: 1 });
    await relay.runOnce();
    assert.equal((await store.listDeadLetters()).length, 1);
    fail = false;
    assert.equal(await store.requeueDeadLetters([id!]), 1);
    await relay.runOnce();
    assert.deepEqual(ids(producer.messages), [id]);
    assert.equal((await store.listDeadLetters()).length, 0);
  });

  it('dead-letters a permanent failure at once', async () => {
    const { relay, store, write } = setup({}, () => new PermanentFailure('400 bad request'));
    await write({ topic: 't', payload: 1 });
    const report = await relay.runOnce();
    assert.equal(report?.dead, 1);
    assert.equal((await store.listDeadLetters()).length, 1);
  });

  it('dead-letters a row the store could not read even when the producer throws', async () => {
    const clock = createFakeClock();
    const memory = createMemoryStore({ clock });
    // The store hands over its first message as unreadable, as a SQL store does for bad headers.
    const store = {
      ...memory,
      async claim(o: { limit: number }) {
        const batch = await memory.claim(o);
        if (batch && batch.messages[0]) markMalformed(batch.messages[0], 'malformed row: headers must be a JSON object');
        return batch;
      },
    };
    const outbox = createOutbox({ store });
    await store.transaction((tx) => outbox.send(tx, [{ topic: 't', payload: 1 }, { topic: 't', payload: 2 }]));
    const relay = createRelay({ store, producer: () => Promise.reject(new Error('broker said no')), clock, random: () => 0 });
    const report = await relay.runOnce();
    assert.deepEqual([report?.dead, report?.failed], [1, 1]);
    const [dead, ...more] = await store.listDeadLetters();
    assert.equal(more.length, 0);
    assert.match(String(dead?.error), /headers must be a JSON object/);
  });

  it('never lets a later message of a key overtake one in backoff', async () => {
    let failFirst = true;
    const { relay, producer, write, clock } = setup({ retry: { initialMs: 1000, jitter: 0 } }, (m) =>
      failFirst && m.payload.toString() === '1' ? new Error('once') : undefined,
    );
    const { ids: keyed } = await write([1, 2, 3].map((n) => ({ topic: 't', key: 'a', payload: n })));
    const { ids: other } = await write({ topic: 't', key: 'b', payload: 9 });
    await relay.runOnce();
    failFirst = false;
    assert.deepEqual(ids(producer.messages), other, 'only the other key went through');
    assert.equal(await relay.runOnce(), null, 'key a is blocked while its head is in backoff');
    await clock.advance(1000);
    await relay.runOnce();
    assert.deepEqual(ids(producer.messages), [...other, ...keyed]);
  });

  it('releases messages whose destination is unreachable without counting attempts, and backs off', async () => {
    const clock = createFakeClock();
    const store = createMemoryStore({ clock });
    let down = true;
    const published: string[] = [];
    const events: RelayEvent[] = [];
    const relay = createRelay({
      store,
      clock,
      random: () => 0,
      maxAttempts: 2,
      produceBackoff: { initialMs: 1000, maxMs: 1000, jitter: 0 },
      onEvent: (e) => events.push(e),
      producer: (batch) => (down ? { ok: [], failed: batch.map((m) => ({ id: m.id, error: new Error('broker down'), unavailable: true })) } : void published.push(...batch.map((m) => m.id))),
    });
    const { ids } = await store.transaction((tx) => createOutbox({ store }).send(tx, [{ topic: 't', key: 'k', payload: 1 }, { topic: 't', key: 'k', payload: 2 }]));
    relay.start();
    await clock.advance(10_000);
    const produceFailures = events.filter((e) => e.type === 'produce.failed');
    assert.ok(produceFailures.length >= 9 && produceFailures.length <= 11, `backed off 1 s between tries (${produceFailures.length})`);
    assert.equal((produceFailures[0] as { error: Error }).error.message, 'broker down');
    assert.deepEqual(await store.listDeadLetters(), [], 'an outage of many tries with maxAttempts 2 poisons nothing');
    down = false;
    await clock.advance(1000);
    assert.deepEqual(published, ids, 'delivered in order once the broker is back');
    await relay.stop();
  });

  it('lets unkeyed messages pass a failed one', async () => {
    const { relay, producer, write } = setup({}, (m) => (m.payload.toString() === '1' ? new Error('x') : undefined));
    const { ids: written } = await write([1, 2, 3].map((n) => ({ topic: 't', payload: n })));
    await relay.runOnce();
    assert.deepEqual(ids(producer.messages), written.slice(1));
  });

  it('treats a producer that misses its deadline as failed and aborts its signal', async () => {
    const clock = createFakeClock();
    const store = createMemoryStore({ clock });
    let aborted = false;
    const relay = createRelay({
      store,
      clock,
      produceTimeoutMs: 5000,
      random: () => 0,
      producer: (_batch, { signal }) => new Promise(() => signal.addEventListener('abort', () => (aborted = true))),
    });
    await store.transaction((tx) => createOutbox({ store }).send(tx, { topic: 't', payload: 1 }));
    const run = relay.runOnce();
    await clock.advance(5000 + 250);
    const report = await run;
    assert.equal(aborted, true);
    assert.equal(report?.failed, 1);
    assert.equal(report?.producerThrew, true);
    assert.equal((report?.producerError as { code?: string }).code, 'PRODUCE_TIMEOUT');
  });

  it('uses the answer a producer gives right after its deadline aborted it', async () => {
    const clock = createFakeClock();
    const store = createMemoryStore({ clock });
    const relay = createRelay({
      store,
      clock,
      produceTimeoutMs: 5000,
      producer: (batch, { signal }) =>
        new Promise((resolve) => signal.addEventListener('abort', () => resolve({ ok: [batch[0]!.id], failed: [{ id: batch[1]!.id, error: signal.reason }] }))),
    });
    await store.transaction((tx) => createOutbox({ store }).send(tx, [{ topic: 't', payload: 1 }, { topic: 't', payload: 2 }]));
    const run = relay.runOnce();
    await clock.advance(5000);
    const report = await run;
    assert.deepEqual([report?.delivered, report?.failed], [1, 1], 'the confirmed message is not published again');
  });

  it('keeps claiming while batches come back full', async () => {
    const { relay, producer, write, clock } = setup({ batchSize: 10 });
    await write(Array.from({ length: 35 }, (_, n) => ({ topic: 't', payload: n })));
    relay.start();
    await clock.flush();
    assert.equal(producer.messages.length, 35, 'drained without waiting for the poll interval');
    assert.equal(producer.batches.length, 4);
    await relay.stop();
  });

  it('stops after finishing the batch in flight and acknowledging it', async () => {
    const clock = createFakeClock();
    const store = createMemoryStore({ clock });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const produced: string[] = [];
    const relay = createRelay({ store, clock, producer: async (batch) => { await gate; produced.push(...ids(batch)); } });
    await store.transaction((tx) => createOutbox({ store }).send(tx, [{ topic: 't', payload: 1 }, { topic: 't', payload: 2 }]));
    relay.start();
    await clock.flush();
    const stopped = relay.stop();
    let done = false;
    void stopped.then(() => (done = true));
    await clock.flush();
    assert.equal(done, false, 'stop waits for the in-flight batch');
    release();
    await stopped;
    assert.equal(produced.length, 2);
    assert.equal(store.pendingCount(), 0, 'the in-flight batch was acknowledged');
    assert.equal(relay.running, false);
    await relay.stop();
  });

  it('can be started again after a stop', async () => {
    const { relay, producer, write, clock } = setup();
    relay.start();
    await relay.stop();
    relay.start();
    assert.equal(relay.running, true);
    await write({ topic: 't', payload: 'again' });
    await clock.flush();
    assert.equal(producer.messages.length, 1);
    await relay.stop();
  });

  it('hands a claim abandoned past the claim timeout to another relay, and fences the first', async () => {
    const clock = createFakeClock();
    const store = createMemoryStore({ clock, claimTimeoutMs: 10_000 });
    await store.transaction((tx) => createOutbox({ store }).send(tx, { topic: 't', key: 'k', payload: 1 }));
    const stale = await store.claim({ limit: 10 });
    assert.equal(stale?.messages.length, 1);
    assert.equal(await store.claim({ limit: 10 }).then((b) => b?.messages.length), 0, 'still leased');
    await clock.advance(10_000);
    const fresh = await store.claim({ limit: 10 });
    assert.equal(fresh?.messages.length, 1);
    const late = await store.settle(stale!, { delivered: [stale!.messages[0]!.id], failed: [], released: [] });
    assert.equal(late.lost, 1, 'the zombie cannot acknowledge');
    const owner = await store.settle(fresh!, { delivered: [fresh!.messages[0]!.id], failed: [], released: [] });
    assert.equal(owner.lost, 0);
    assert.equal(store.pendingCount(), 0);
  });

  it('removes processed messages in mark-processed mode after their max age', async () => {
    const clock = createFakeClock();
    const store = createMemoryStore({ clock, completion: 'markProcessed' });
    const producer = createRecordingProducer();
    const events: RelayEvent[] = [];
    const relay = createRelay({ store, producer, clock, cleanup: { intervalMs: 60_000, maxAgeMs: 120_000 }, onEvent: (e) => events.push(e) });
    await store.transaction((tx) => createOutbox({ store }).send(tx, { topic: 't', payload: 1 }));
    relay.start();
    await clock.flush();
    assert.equal(producer.messages.length, 1);
    await clock.advance(60_000);
    assert.deepEqual(events.filter((e) => e.type === 'cleanup.done').map((e) => (e as { removed: number }).removed), [0]);
    await clock.advance(120_000);
    const removed = events.filter((e) => e.type === 'cleanup.done').map((e) => (e as { removed: number }).removed);
    assert.equal(removed.reduce((a, b) => a + b, 0), 1);
    await relay.stop();
  });

  it('backs off after a failed claim and reports it', async () => {
    const clock = createFakeClock();
    const store = createMemoryStore({ clock });
    let claims = 0;
    const broken = { ...store, claim: async () => { claims++; throw new Error('db down'); } };
    const events: RelayEvent[] = [];
    const relay = createRelay({ store: broken, producer: () => {}, clock, random: () => 0, claimBackoff: { initialMs: 100, maxMs: 1000, jitter: 0 }, onEvent: (e) => events.push(e) });
    relay.start();
    await clock.advance(100 + 200 + 400);
    assert.equal(claims, 4);
    assert.deepEqual(events.filter((e) => e.type === 'claim.failed').map((e) => (e as { retryInMs: number }).retryInMs), [100, 200, 400, 800]);
    await relay.stop();
  });

  it('claims batches of 500 at its defaults, so a backlog drains at the pace of a hand-written loop', async () => {
    const { relay, write } = setup();
    await write(Array.from({ length: 600 }, (_, n) => ({ topic: 't', payload: n })));
    assert.equal((await relay.runOnce())?.delivered, 500);
    assert.equal((await relay.runOnce())?.delivered, 100);
  });

  it('rejects bad options with the option name', () => {
    const store = createMemoryStore();
    assert.throws(() => createRelay({ store, producer: () => {}, batchSize: 0 }), { code: 'INVALID_OPTION', field: 'batchSize' });
    assert.throws(() => createRelay({ store, producer: 42 as never }), { code: 'INVALID_OPTION', field: 'producer' });
    assert.throws(() => createRelay({ store, producer: () => {}, produceTimeoutMs: 60_000 }), { code: 'INVALID_OPTION', field: 'produceTimeoutMs' });
    assert.throws(() => createRelay({ store, producer: () => {}, retry: { jitter: 2 } }), { code: 'INVALID_OPTION', field: 'retry.jitter' });
  });
});

describe('several outboxes in one process', () => {
  it('relays each with its own settings and tells the producer which outbox a batch is from', async () => {
    const clock = createFakeClock();
    const tenants = ['tenant-a', 'tenant-b'].map((name) => createMemoryStore({ clock, name }));
    const seen: string[] = [];
    const producer = createRecordingProducer({ onMessage: (m, { key }) => seen.push(`${key.kind}/${key.name}:${m.topic}`) });
    const relays = tenants.map((store, i) => createRelay({ store, producer, clock, batchSize: i + 1 }));
    relays.forEach((r) => r.start());
    await tenants[0]!.transaction((tx) => createOutbox({ store: tenants[0]! }).send(tx, { topic: 'x', payload: 1 }));
    await tenants[1]!.transaction((tx) => createOutbox({ store: tenants[1]! }).send(tx, { topic: 'y', payload: 2 }));
    await clock.flush();
    assert.deepEqual(seen.sort(), ['memory/tenant-a:x', 'memory/tenant-b:y']);
    await Promise.all(relays.map((r) => r.stop()));
  });
});
