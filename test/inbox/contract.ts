import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createInbox, createOutbox, createRelay, parsePayload } from '../../src/core/index.js';
import { createRecordingProducer } from '../../src/testing/index.js';
import type { InboxHarness } from './harness.js';

/** The inbox's promise on every store: each consumer's effects happen once per message id. */
export function inboxContract(harness: InboxHarness): void {
  describe(`inbox contract: ${harness.name}`, () => {
    after(() => harness.close());

    it('handles a message once; a redelivery is a duplicate with no effect', async () => {
      const t = await harness.create();
      const inbox = createInbox({ store: t.inbox });
      const handle = () => t.run((tx) => inbox.handleOnce(tx, { consumer: 'billing', messageId: 'm1' }, () => t.bump(tx, 'm1')));
      assert.equal((await handle()).duplicate, false);
      assert.equal((await handle()).duplicate, true);
      assert.equal(await t.counter('m1'), 1);
    });

    it('applies each effect exactly once when duplicates race on several instances', async () => {
      const t = await harness.create();
      const inbox = createInbox({ store: t.inbox });
      const ids = ['a', 'b', 'c', 'd', 'e'];
      const deliveries = ids.flatMap((id) => Array.from({ length: 6 }, () => id)).sort(() => Math.random() - 0.5);
      const outcomes = await Promise.all(deliveries.map((id) => t.run((tx) => inbox.handleOnce(tx, { consumer: 'billing', messageId: id }, () => t.bump(tx, id)))));
      for (const id of ids) assert.equal(await t.counter(id), 1, `effect of ${id}`);
      assert.equal(outcomes.filter((o) => !o.duplicate).length, ids.length);
    });

    it('keeps consumers independent: each handles the same message once', async () => {
      const t = await harness.create();
      const inbox = createInbox({ store: t.inbox });
      for (const consumer of ['billing', 'email', 'billing', 'email']) {
        await t.run((tx) => inbox.handleOnce(tx, { consumer, messageId: 'm' }, () => t.bump(tx, consumer)));
      }
      assert.deepEqual([await t.counter('billing'), await t.counter('email')], [1, 1]);
    });

    it('rolls back the inbox row with the effects when the handler throws, so a redelivery is handled', async () => {
      const t = await harness.create();
      const inbox = createInbox({ store: t.inbox });
      await assert.rejects(t.run((tx) => inbox.handleOnce(tx, { consumer: 'c', messageId: 'm' }, async () => {
        await t.bump(tx, 'm');
        throw new Error('handler failed');
      })), /handler failed/);
      assert.equal(await t.counter('m'), 0);
      const again = await t.run((tx) => inbox.handleOnce(tx, { consumer: 'c', messageId: 'm' }, () => t.bump(tx, 'm')));
      assert.equal(again.duplicate, false);
      assert.equal(await t.counter('m'), 1);
    });

    it('stores what a handler sends only if the handler commits, and the relay delivers it', async () => {
      const t = await harness.create();
      const inbox = createInbox({ store: t.inbox, outbox: createOutbox({ store: t.outbox }) });
      await assert.rejects(t.run((tx) => inbox.handleOnce(tx, { consumer: 'c', messageId: 'bad' }, async (ctx) => {
        await ctx.send({ topic: 'invoice.created', payload: 'never' });
        throw new Error('boom');
      })));
      await t.run((tx) => inbox.handleOnce(tx, { consumer: 'c', messageId: 'good' }, (ctx) =>
        ctx.send([{ topic: 'invoice.created', key: 'o1', payload: 1 }, { topic: 'email.queued', key: 'o1', payload: 2 }])));
      const producer = createRecordingProducer();
      await createRelay({ store: t.outbox, producer }).runOnce();
      assert.deepEqual(producer.messages.map((m) => [m.topic, parsePayload(m)]), [['invoice.created', 1], ['email.queued', 2]]);
    });

    it('returns the first result to a duplicate when results are stored', async () => {
      const t = await harness.create();
      const inbox = createInbox({ store: t.inbox, storeResults: true });
      const first = await t.run((tx) => inbox.handleOnce(tx, { consumer: 'c', messageId: 'pay-42' }, () => ({ receipt: 'r-1' })));
      const second = await t.run((tx) => inbox.handleOnce(tx, { consumer: 'c', messageId: 'pay-42' }, () => ({ receipt: 'r-2' })));
      assert.deepEqual(first, { duplicate: false, result: { receipt: 'r-1' } });
      assert.deepEqual(second, { duplicate: true, result: { receipt: 'r-1' } });
    });

    it('forgets ids older than the window, so a redelivery after it is handled again', async () => {
      const t = await harness.create();
      const inbox = createInbox({ store: t.inbox, windowMs: 60_000 });
      const handle = (id: string) => t.run((tx) => inbox.handleOnce(tx, { consumer: 'c', messageId: id }, () => t.bump(tx, id)));
      await handle('old');
      await t.age(120_000);
      await handle('young');
      assert.equal(await inbox.cleanup(), 1, 'only the row older than the window');
      assert.equal((await handle('young')).duplicate, true);
      assert.equal((await handle('old')).duplicate, false, 'handled again: the window is the limit of the guarantee');
      assert.equal(await t.counter('old'), 2);
    });

    it('rejects a missing consumer or message id before touching the database', async () => {
      const t = await harness.create();
      const inbox = createInbox({ store: t.inbox });
      await assert.rejects(t.run((tx) => inbox.handleOnce(tx, { consumer: '', messageId: 'm' }, () => 1)), { code: 'INVALID_ARGUMENT', field: 'consumer' });
      await assert.rejects(t.run((tx) => inbox.handleOnce(tx, { consumer: 'c', messageId: undefined as never }, () => 1)), { code: 'INVALID_ARGUMENT', field: 'messageId' });
    });
  });
}
