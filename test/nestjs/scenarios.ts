// Run by nestjs.test.ts in a process that loads TypeScript through the ESM hooks only (see there).
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { NestFactory } from '@nestjs/core';
import pg from 'pg';
import { Txbox } from '../../src/adapters/nestjs/index.js';
import { parsePayload, TxboxError, type OutboxMessage } from '../../src/core/index.js';
import { createRecordingProducer } from '../../src/testing/index.js';
import { eventually, PG_URL, sleep, uniqueName } from '../support/env.js';
import { AppModule, OrdersService, type AppConfig } from './orders-app.js';

const admin = new pg.Pool({ connectionString: PG_URL, max: 2 });
const tables: string[] = [];

/** A Nest application of the example app, on fresh tables unless `reuse` names them. */
async function startApp(config: Partial<AppConfig> & Pick<AppConfig, 'producer'>, reuse?: AppConfig) {
  const ordersTable = reuse?.ordersTable ?? uniqueName('nest_orders');
  const outboxTable = reuse?.outboxTable ?? uniqueName('nest_outbox');
  if (!reuse) tables.push(ordersTable, outboxTable);
  const full: AppConfig = { pgUrl: PG_URL, ordersTable, outboxTable, ...config };
  const app = await NestFactory.createApplicationContext(AppModule.register(full), { logger: false, abortOnError: false });
  app.enableShutdownHooks();
  return { app, config: full, orders: app.get(OrdersService), txbox: app.get(Txbox) };
}

const count = async (table: string) => Number((await admin.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);

describe('TxboxModule in a Nest application, with @nestjs-cls/transactional on PostgreSQL', () => {
  after(async () => {
    for (const t of tables) await admin.query(`DROP TABLE IF EXISTS ${t}`);
    await admin.end();
  });

  it('a @Transactional() method writes its row and its message together; a rollback leaves neither', async () => {
    const producer = createRecordingProducer();
    const { app, config, orders } = await startApp({ producer });
    try {
      await orders.place('o-1');
      await assert.rejects(orders.place('o-2', { failAfterSend: true }), /payment declined/);
      await eventually(() => producer.messages.length >= 1, 10_000, 'the relay to deliver o-1');
      await sleep(200); // a few poll intervals: the rolled-back message would show up by now
      assert.deepEqual(producer.messages.map((m) => parsePayload(m)), [{ orderId: 'o-1' }]);
      assert.deepEqual((await admin.query(`SELECT id FROM ${config.ordersTable}`)).rows, [{ id: 'o-1' }]);
    } finally {
      await app.close();
    }
  });

  it('refuses send() outside a transaction with a typed error, and writes nothing', async () => {
    const producer = createRecordingProducer();
    const { app, config, orders } = await startApp({ producer });
    try {
      await assert.rejects(orders.announceWithoutTransaction('o-3'), (e: unknown) => e instanceof TxboxError && e.code === 'INVALID_ARGUMENT' && e.field === 'transaction');
      assert.equal(await count(config.outboxTable), 0);
    } finally {
      await app.close();
    }
  });

  const orders = [['lock', false], ['lease', false], ['lock', true], ['lease', true]] as const;
  for (const [claimMode, txboxFirst] of orders) {
    const order = txboxFirst ? 'TxboxModule imported first' : 'DatabaseModule imported first';
    it(`app.close() during a slow batch finishes and acknowledges it before the pool ends (${claimMode} claims, ${order}); nothing is redelivered after a restart`, { timeout: 15_000 }, async () => {
      const SLOW_MS = 600;
      const recorder = createRecordingProducer();
      let entered = false;
      const slow = {
        async produce(batch: readonly OutboxMessage[], context: Parameters<typeof recorder.produce>[1]) {
          entered = true;
          await sleep(SLOW_MS);
          return recorder.produce(batch, context);
        },
      };
      const first = await startApp({ producer: slow, claimMode, txboxFirst });
      await first.orders.place('o-slow');
      await eventually(() => entered, 10_000, 'the relay to start producing');
      const t0 = performance.now();
      await first.app.close();
      const closeMs = performance.now() - t0;
      assert.deepEqual(recorder.messages.map((m) => parsePayload(m)), [{ orderId: 'o-slow' }]);
      assert.ok(closeMs > SLOW_MS / 3, `close waited for the batch in flight (${Math.round(closeMs)} ms)`);
      assert.equal(await count(first.config.outboxTable), 0, 'the batch was acknowledged before the pool ended');

      // A restart on the same tables delivers what comes next, and never o-slow again.
      const again = createRecordingProducer();
      const second = await startApp({ producer: again, claimMode, txboxFirst }, first.config);
      try {
        await second.orders.place('o-next');
        await eventually(() => again.messages.length >= 1, 10_000, 'the restarted relay to deliver o-next');
        await sleep(200);
        assert.deepEqual(again.messages.map((m) => parsePayload(m)), [{ orderId: 'o-next' }]);
      } finally {
        await second.app.close();
      }
    });
  }
});
