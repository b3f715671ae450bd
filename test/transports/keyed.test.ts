import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PermanentFailure, TxboxError } from '../../src/core/index.js';
import { markUnavailable } from '../../src/transports/shared/failures.js';
import { publishInKeyOrder, roundsByKey, type KeyedPlan } from '../../src/transports/shared/keyed.js';
import { message } from './harness.js';

const plan = (o: Partial<KeyedPlan> = {}): KeyedPlan => ({ publishTimeoutMs: 1000, maxInFlight: 64, what: 'the test broker', ...o });
const tick = () => new Promise((r) => setTimeout(r, 5));

/** The publishing rules every transport shares, checked without a broker. */
describe('per-key publishing', { timeout: 20_000 }, () => {
  it('publishes each key in order, one at a time, and keys in parallel', async () => {
    const batch = Array.from({ length: 20 }, (_, i) => message('t', { key: `k${i % 4}` }));
    const published: string[] = [];
    const inFlight = new Map<string, number>();
    let parallel = 0;
    await publishInKeyOrder(batch, new AbortController().signal, plan(), async (m) => {
      inFlight.set(m.key!, (inFlight.get(m.key!) ?? 0) + 1);
      assert.equal(inFlight.get(m.key!), 1, 'one message of a key at a time');
      parallel = Math.max(parallel, [...inFlight.values()].reduce((a, b) => a + b, 0));
      await tick();
      published.push(m.id);
      inFlight.set(m.key!, 0);
    });
    for (let k = 0; k < 4; k++) {
      const expected = batch.filter((m) => m.key === `k${k}`).map((m) => m.id);
      assert.deepEqual(published.filter((id) => expected.includes(id)), expected);
    }
    assert.ok(parallel > 1, 'different keys overlap');
  });

  it('stops a key at its first failure and keeps the others going', async () => {
    const [a1, b1, a2, b2, u] = [message('t', { key: 'a' }), message('t', { key: 'b' }), message('t', { key: 'a' }), message('t', { key: 'b' }), message('t')];
    const result = await publishInKeyOrder([a1!, b1!, a2!, b2!, u!], new AbortController().signal, plan(), async (m) => {
      if (m === b1) throw new PermanentFailure('refused');
    });
    assert.deepEqual(new Set(result.ok), new Set([a1!.id, a2!.id, u!.id]));
    assert.deepEqual(result.failed?.map((f) => [f.id, f.permanent]), [[b1!.id, true]]);
  });

  it('bounds a publish that never answers, and skips the rest of the batch after an outage', async () => {
    const batch = [message('t', { key: 'a' }), message('t', { key: 'b' }), message('t', { key: 'c' })];
    const started = Date.now();
    const result = await publishInKeyOrder(batch, new AbortController().signal, plan({ publishTimeoutMs: 100, maxInFlight: 1 }), () => new Promise(() => {}));
    assert.ok(Date.now() - started < 500, 'one deadline, not three');
    const [first, ...rest] = result.failed ?? [];
    assert.ok(first?.error instanceof TxboxError && first.error.code === 'PRODUCE_TIMEOUT');
    assert.deepEqual(rest.map((f) => String(f.error).includes('not attempted')), [true, true]);
  });

  it('skips only the outage scope that failed', async () => {
    const down = message('t', { key: 'a', headers: { scope: 'down' } });
    const later = message('t', { key: 'b', headers: { scope: 'down' } });
    const other = message('t', { key: 'c', headers: { scope: 'up' } });
    const result = await publishInKeyOrder([down, later, other], new AbortController().signal, plan({ maxInFlight: 1, scope: (m) => m.headers.scope! }), async (m) => {
      if (m.headers.scope === 'down') throw markUnavailable(new Error('refused'));
    });
    assert.deepEqual([...result.ok], [other.id]);
  });

  it("returns at once when the relay's signal aborts, and adds one listener to it", async () => {
    const abort = new AbortController();
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      setTimeout(() => abort.abort(new Error('relay deadline')), 50);
      const batch = Array.from({ length: 40 }, () => message('t'));
      const started = Date.now();
      await publishInKeyOrder(batch, abort.signal, plan({ publishTimeoutMs: 10_000 }), () => new Promise(() => {}));
      assert.ok(Date.now() - started < 500);
      await tick();
      assert.deepEqual(warnings.map((w) => w.name), []);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('gives a publish that starts later its own full deadline', async () => {
    // Key a: the first publish answers after 150 ms, the second never. Key b never answers.
    const [a1, a2, b1] = [message('t', { key: 'a' }), message('t', { key: 'a' }), message('t', { key: 'b' })];
    const failedAt = new Map<string, number>();
    const started = Date.now();
    const result = await publishInKeyOrder([a1, a2, b1], new AbortController().signal, plan({ publishTimeoutMs: 300 }), (m) =>
      m.id === a1.id ? new Promise<void>((r) => setTimeout(r, 150)) : new Promise<void>((_, reject) => setTimeout(() => reject(new Error('late')), 5000)),
    );
    for (const f of result.failed ?? []) failedAt.set(f.id, Date.now() - started);
    assert.deepEqual([...result.ok], [a1.id]);
    assert.deepEqual(new Set(failedAt.keys()), new Set([a2.id, b1.id]));
    assert.ok(Date.now() - started >= 440, `a2 started at ~150 ms and had its own 300 ms (returned after ${Date.now() - started} ms)`);
    assert.ok(Date.now() - started < 1500);
  });

  it('aborts the signal of a cancellable publish at its deadline', async () => {
    const reasons: unknown[] = [];
    const result = await publishInKeyOrder([message('t')], new AbortController().signal, plan({ publishTimeoutMs: 100, cancellable: true }), (_, signal) =>
      new Promise<void>((_, reject) => signal.addEventListener('abort', () => {
        reasons.push(signal.reason);
        reject(signal.reason);
      })),
    );
    assert.equal(reasons.length, 1);
    assert.ok(reasons[0] instanceof TxboxError && reasons[0].code === 'PRODUCE_TIMEOUT');
    assert.equal(result.failed?.length, 1);
  });

  it('groups a batch into rounds: the n-th message of every key', () => {
    const batch = [message('t', { key: 'a' }), message('t'), message('t', { key: 'a' }), message('t', { key: 'b' }), message('t', { key: 'a' })];
    assert.deepEqual(roundsByKey(batch).map((r) => r.map((m) => batch.indexOf(m))), [[0, 1, 3], [2], [4]]);
  });
});
