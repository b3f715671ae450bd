import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createConsumers, defineConsumer, type Consumers, type PublishInput, type TransactionRunner } from '../../src/consumers/index.js';
import type { InboxStore, OutboxStore, ScheduleStore } from '../../src/core/index.js';
import { eventually, sleep } from '../support/env.js';

/** One database with a stack's runner, and the business table its handlers write through the stack. */
export interface AdapterConsumersUnderTest<Tx> {
  store: OutboxStore<Tx>;
  inbox: InboxStore<Tx>;
  schedules: ScheduleStore<Tx>;
  /** The adapter's runner under test (`kyselyTransactions(db, store)`...). */
  transaction: TransactionRunner<Tx>;
  /** Publishes in one of the stack's own transactions, through its adapter (`fromKysely(trx)`...). */
  publish(bus: Consumers<Tx>, input: PublishInput): Promise<void>;
  /** A business row written with the stack's own API on the handler's `tx` (`tx.trx.insertInto(...)`); synchronous on a synchronous stack. */
  ship(tx: Tx, orderId: string, attempt: number): Promise<void> | void;
  /** The business rows, read outside any handler. */
  shipments(): Promise<{ orderId: string; attempt: number }[]>;
  /** The inbox rows of `consumer`: its handled marks. */
  handled(consumer: string): Promise<number>;
}

export interface AdapterConsumersHarness<Tx> {
  readonly name: string;
  /** The stack's transactions are synchronous calls (Drizzle on better-sqlite3): handlers must not await. */
  readonly sync?: boolean;
  create(): Promise<AdapterConsumersUnderTest<Tx>>;
  close(): Promise<void>;
}

const fast = { maxAttempts: 3, backoff: { type: 'fixed' as const, initialMs: 1 } };
const byOrder = (rows: { orderId: string; attempt: number }[]) => [...rows].sort((a, b) => a.orderId.localeCompare(b.orderId));

/**
 * The promises of a stack's consumer runner, on its real database: a handler's transaction is
 * the stack's own, in which its business rows, its inbox row and what it publishes commit or
 * roll back together, and its commits wake the relay.
 */
export function adapterConsumersContract<Tx>(harness: AdapterConsumersHarness<Tx>): void {
  describe(`in-process consumers in ${harness.name}`, () => {
    after(() => harness.close());

    /** ship writes a row and publishes order.shipped (failing on its first attempt if asked); notify writes one more row. */
    const consumersOf = (t: AdapterConsumersUnderTest<Tx>, failFirst: boolean) => [
      defineConsumer<Tx, { orderId: string }>({
        name: 'ship',
        topics: ['order.placed'],
        ...fast,
        handle: (ctx) => {
          const fail = () => {
            if (failFirst && ctx.attempt === 1) throw new Error('carrier down');
          };
          const wrote = t.ship(ctx.tx, ctx.payload.orderId, ctx.attempt);
          if (harness.sync) {
            // A synchronous stack's publish has run by the time it returns.
            void ctx.publish({ topic: 'order.shipped', payload: { orderId: `notice-${ctx.payload.orderId}` } });
            return fail();
          }
          return (async () => {
            await wrote;
            await ctx.publish({ topic: 'order.shipped', payload: { orderId: `notice-${ctx.payload.orderId}` } });
            fail();
          })();
        },
      }),
      defineConsumer<Tx, { orderId: string }>({ name: 'notify', topics: ['order.shipped'], ...fast, handle: (ctx) => t.ship(ctx.tx, ctx.payload.orderId, ctx.attempt) }),
    ];

    it("commits a handler's business row with its handled mark and what it published", async () => {
      const t = await harness.create();
      const bus = createConsumers({ store: t.store, inbox: t.inbox, consumers: consumersOf(t, false), transaction: t.transaction, logger: false });
      await t.publish(bus, { topic: 'order.placed', payload: { orderId: 'o-1' } });
      assert.equal((await bus.runOnce())?.delivered, 1, 'ship ran');
      assert.deepEqual(await t.shipments(), [{ orderId: 'o-1', attempt: 1 }]);
      assert.equal(await t.handled('ship'), 1, 'its inbox row committed with its row');
      assert.equal((await bus.runOnce())?.delivered, 1, 'what it published is there for notify');
      assert.deepEqual(byOrder(await t.shipments()), [{ orderId: 'notice-o-1', attempt: 1 }, { orderId: 'o-1', attempt: 1 }]);
      assert.equal(await t.handled('notify'), 1);
      assert.equal((await bus.runOnce())?.delivered ?? 0, 0, 'nothing left');
    });

    it('rolls back the business row, the handled mark and what it published when the handler throws; the retry commits them once', async () => {
      const t = await harness.create();
      const bus = createConsumers({ store: t.store, inbox: t.inbox, consumers: consumersOf(t, true), transaction: t.transaction, logger: false });
      await t.publish(bus, { topic: 'order.placed', payload: { orderId: 'o-2' } });
      assert.equal((await bus.runOnce())?.failed, 1, 'the first attempt failed');
      assert.deepEqual(await t.shipments(), [], 'its row rolled back');
      assert.equal(await t.handled('ship'), 0, 'and its inbox row');
      await sleep(20); // the retry's 1 ms backoff
      assert.equal((await bus.runOnce())?.delivered, 1, 'the retry ran');
      assert.deepEqual(await t.shipments(), [{ orderId: 'o-2', attempt: 2 }]);
      assert.equal(await t.handled('ship'), 1);
      // The first attempt's order.shipped rolled back: notify gets one message, from the retry.
      assert.equal((await bus.runOnce())?.delivered, 1);
      assert.equal((await bus.runOnce())?.delivered ?? 0, 0, 'no second order.shipped');
      assert.deepEqual(byOrder(await t.shipments()), [{ orderId: 'notice-o-2', attempt: 1 }, { orderId: 'o-2', attempt: 2 }]);
    });

    it('wakes the relay after each handler commits: what a handler published is handled now, not at the next poll', async () => {
      const t = await harness.create();
      const bus = createConsumers({ store: t.store, inbox: t.inbox, consumers: consumersOf(t, false), transaction: t.transaction, pollIntervalMs: 60_000, concurrency: 1, logger: false });
      bus.start();
      try {
        await t.publish(bus, { topic: 'order.placed', payload: { orderId: 'o-3' } });
        t.store.wakes.nudge(); // the writer's commit, as store.transaction() would
        await eventually(async () => (await t.shipments()).length === 2, 5_000, 'notify handled within a poll interval of 60 s');
      } finally {
        await bus.stop();
      }
    });

    it("fires schedules in the stack's transactions", async () => {
      const t = await harness.create();
      const bus = createConsumers({ store: t.store, inbox: t.inbox, schedules: t.schedules, consumers: consumersOf(t, false), transaction: t.transaction, logger: false });
      await bus.schedules.set({ name: 'nightly', cron: '* * * * * *', topic: 'order.placed', payload: { orderId: 'tick' } });
      await sleep(1100); // the first tick is due after the next second
      assert.equal(await bus.schedules.fireDue(), 1);
      assert.equal((await bus.runOnce())?.delivered, 1);
      assert.deepEqual(await t.shipments(), [{ orderId: 'tick', attempt: 1 }]);
    });
  });
}
