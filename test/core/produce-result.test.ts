import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createOutbox, createRelay, TxboxError, type ProduceFn, type RelayEvent } from '../../src/core/index.js';
import { checkProduceResult } from '../../src/core/producer.js';
import { createFakeClock, createMemoryStore } from '../../src/testing/index.js';

const rejects = (answer: unknown, field: string) => {
  assert.throws(
    () => checkProduceResult(answer),
    (e: unknown) => e instanceof TxboxError && e.code === 'INVALID_PRODUCE_RESULT' && e.field === field && e.message.includes(field),
  );
};

describe('checkProduceResult', () => {
  it('takes nothing as all published, and reads any iterable of ids once', () => {
    assert.equal(checkProduceResult(undefined), undefined);
    assert.deepEqual(checkProduceResult({ ok: ['a'] }), { ok: ['a'], failed: [] });
    assert.deepEqual(checkProduceResult({ ok: new Set(['a', 'b']), failed: [{ id: 'c', error: 'x' }] }), { ok: ['a', 'b'], failed: [{ id: 'c', error: 'x' }] });
    function* ids() {
      yield 'a';
    }
    assert.deepEqual(checkProduceResult({ ok: ids() })?.ok, ['a']);
  });

  it('refuses every other shape, naming the field', () => {
    rejects(null, 'result');
    rejects(true, 'result');
    rejects([undefined, undefined], 'result');
    rejects('ok', 'result');
    rejects({ failed: [] }, 'result.ok');
    rejects({ ok: 'abc' }, 'result.ok');
    rejects({ ok: ['a', 2] }, 'result.ok[1]');
    rejects({ ok: [], failed: { id: 'a' } }, 'result.failed');
    rejects({ ok: [], failed: [{ error: 'no id' }] }, 'result.failed[0]');
  });
});

describe('relay on the memory store with an invalid producer answer', () => {
  it('counts an attempt, backs off, reports produce.failed, then delivers', async () => {
    const clock = createFakeClock();
    const store = createMemoryStore({ clock, claimTimeoutMs: 30_000 });
    await store.transaction((tx) => createOutbox({ store }).send(tx, { topic: 't', payload: 1 }));
    const events: RelayEvent[] = [];
    let calls = 0;
    // A generator's ids are read once: the answer must not be read empty the second time.
    const producer: ProduceFn = (messages) => (++calls === 1 ? (true as never) : { ok: (function* () { yield* messages.map((m) => m.id); })() });
    const relay = createRelay({ store, producer, clock, random: () => 0, retry: { initialMs: 100, jitter: 0 }, produceBackoff: { initialMs: 50, jitter: 0 }, onEvent: (e) => events.push(e) });
    relay.start();
    await clock.flush();
    const failed = events.find((e) => e.type === 'produce.failed');
    assert.ok(failed?.type === 'produce.failed' && (failed.error as TxboxError).code === 'INVALID_PRODUCE_RESULT');
    assert.equal(failed.retryInMs, 50);
    assert.ok(events.some((e) => e.type === 'message.failed' && /INVALID|producer answer/.test(e.error)));
    await clock.advance(1100); // the retry is due after 100 ms, found by the next poll (1 s)
    assert.equal(calls, 2);
    assert.equal(store.pendingCount(), 0, 'delivered on the second try');
    await relay.stop();
  });
});
