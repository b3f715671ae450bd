import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { publishDebounced, publishDebouncedSync } from '../../src/consumers/debounce.js';
import { createOutbox, parsePayload, TxboxError, type MessageInput, type OutboxMessage, type OutboxStore } from '../../src/core/index.js';
import { sleep } from '../support/env.js';

/**
 * One ORM or driver stack joined to a store: the adapter under test turns the stack's own
 * transaction into the handle `send()` takes.
 */
export interface AdapterHarness {
  readonly name: string;
  /** The stack's transactions are synchronous (better-sqlite3 under Drizzle): `sendSync` is used. */
  readonly sync?: boolean;
  create(): Promise<AdapterUnderTest>;
  close(): Promise<void>;
}

export interface AdapterUnderTest {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly store: OutboxStore<any>;
  /**
   * Runs `fn` inside one of the stack's transactions, with the adapter's handle for it (e.g.
   * `fromKysely(trx)`), then commits, or rolls back when `commit` is false. Returns what `fn` did.
   */
  transaction<T>(fn: (handle: unknown) => T | Promise<T>, commit: boolean): Promise<T>;
  /** Handles that are no transaction (a pool, the ORM's root instance...), each to be refused. */
  notTransactions(): readonly { readonly what: string; readonly handle: () => unknown }[];
}

/** The write side every adapter promises, on its real database. */
export function adapterContract(harness: AdapterHarness): void {
  describe(`adapter write contract: ${harness.name}`, () => {
    after(() => harness.close());

    const send = (t: AdapterUnderTest, handle: unknown, messages: MessageInput | MessageInput[]) => {
      const outbox = createOutbox({ store: t.store });
      return harness.sync ? outbox.sendSync(handle, messages) : outbox.send(handle, messages);
    };
    const debounce = (t: AdapterUnderTest, handle: unknown, message: MessageInput) =>
      harness.sync ? publishDebouncedSync(t.store, handle, message) : publishDebounced(t.store, handle, message);

    /** Claims everything claimable and acknowledges it. */
    const drain = async (t: AdapterUnderTest): Promise<OutboxMessage[]> => {
      const batch = await t.store.claim({ limit: 100 });
      if (!batch) return [];
      await t.store.settle(batch, { delivered: batch.messages.map((m) => m.id), failed: [], released: [] });
      return [...batch.messages];
    };

    it('delivers what a committed transaction sent, and nothing of a rolled-back one', async () => {
      const t = await harness.create();
      await t.transaction((h) => send(t, h, { topic: 'orders', payload: 'ghost' }), false);
      const { ids } = await t.transaction((h) => send(t, h, [{ topic: 'orders', key: 'c1', payload: 'one' }, { topic: 'orders', key: 'c1', payload: 'two' }]), true);
      const delivered = await drain(t);
      assert.deepEqual(delivered.map((m) => m.id), ids);
      assert.deepEqual(delivered.map((m) => parsePayload(m)), ['one', 'two']);
    });

    it('reports a pending dedup key as a duplicate', async () => {
      const t = await harness.create();
      const first = await t.transaction((h) => send(t, h, { topic: 't', payload: 1, dedupKey: 'page:1' }), true);
      const second = await t.transaction((h) => send(t, h, { topic: 't', payload: 2, dedupKey: 'page:1' }), true);
      assert.deepEqual(first.duplicates, []);
      assert.deepEqual(second.duplicates, second.ids);
      assert.deepEqual((await drain(t)).map((m) => parsePayload(m)), [1]);
    });

    it('reports a second message with an existing id as DUPLICATE_ID, so the driver error reaches the store intact', async () => {
      const t = await harness.create();
      const { ids } = await t.transaction((h) => send(t, h, { topic: 't', payload: 'first' }), true);
      await assert.rejects(
        t.transaction((h) => send(t, h, { id: ids[0], topic: 't', payload: 'again' }), true),
        (e: unknown) => e instanceof TxboxError && e.code === 'DUPLICATE_ID',
      );
      assert.deepEqual((await drain(t)).map((m) => parsePayload(m)), ['first']);
    });

    it('debounces: three sends of one dedup key leave one message with the last payload', async () => {
      const t = await harness.create();
      for (const n of [1, 2, 3]) await t.transaction((h) => debounce(t, h, { topic: 't', payload: n, dedupKey: 'doc:9', delayMs: 200 }), true);
      await sleep(250);
      assert.deepEqual((await drain(t)).map((m) => parsePayload(m)), [3]);
    });

    it('keeps a delayed message until it is due, and round-trips bytes, content type and headers', async () => {
      const t = await harness.create();
      const bytes = Uint8Array.from([0, 1, 2, 255]);
      await t.transaction((h) => send(t, h, [{ topic: 'later', payload: 'x', delayMs: 400 }, { topic: 'bin', payload: bytes, contentType: 'application/x-test', headers: { h: 'v' } }]), true);
      const now = await drain(t);
      assert.deepEqual(now.map((m) => m.topic), ['bin']);
      assert.deepEqual([...now[0]!.payload], [...bytes]);
      assert.equal(now[0]!.contentType, 'application/x-test');
      assert.deepEqual(now[0]!.headers, { h: 'v' });
      await sleep(450);
      assert.deepEqual((await drain(t)).map((m) => m.topic), ['later']);
    });

    it('refuses a handle that is not a transaction, with a typed error, and writes nothing', async () => {
      const t = await harness.create();
      const wrong = t.notTransactions();
      assert.ok(wrong.length > 0, 'the harness names what must be refused');
      for (const { what, handle } of wrong) {
        await assert.rejects(
          async () => send(t, handle(), { topic: 't', payload: what }),
          (e: unknown) => e instanceof TxboxError && (e.code === 'INVALID_ARGUMENT' || e.code === 'INVALID_OPTION') && e.field === 'tx',
          what,
        );
      }
      assert.deepEqual(await drain(t), []);
    });
  });
}
