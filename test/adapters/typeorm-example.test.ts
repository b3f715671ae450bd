import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import pg from 'pg';
import { DataSource, EntitySchema } from 'typeorm';
import { createOutbox, createRelay, parsePayload } from '../../src/core/index.js';
import { createPostgresStore } from '../../src/stores/postgres/index.js';
import { fromTypeOrm } from '../../src/adapters/typeorm/index.js';
import { createRecordingProducer } from '../../src/testing/index.js';
import { eventually, PG_URL, uniqueName } from '../support/env.js';
import { assertSnippetsTested } from './doc-snippets.js';

// The example of docs/adapters/typeorm.md, run as it is written there (names made unique).
const url = PG_URL;
const txboxSchema = uniqueName('txbox');
const ordersTable = uniqueName('orders');
const cleanup: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const step of cleanup.reverse()) await step();
});

it('docs/adapters/typeorm.md: an order and its message commit together, the relay delivers it, synchronize leaves txbox alone', async () => {
  interface Order {
    id: string;
    total: number;
  }
  const Order = new EntitySchema<Order>({
    name: 'Order',
    tableName: ordersTable,
    columns: { id: { type: 'text', primary: true }, total: { type: 'int' } },
  });

  const dataSource = new DataSource({ type: 'postgres', url, entities: [Order] });
  const pool = new pg.Pool({ connectionString: url });
  // txbox's table lives in a schema of its own, which no entity names.
  const store = createPostgresStore({ pool, schema: txboxSchema });
  const outbox = createOutbox({ store });
  await dataSource.initialize();
  await store.migrate();
  cleanup.push(() => pool.end(), () => dataSource.destroy(), () => pool.query(`DROP SCHEMA IF EXISTS "${txboxSchema}" CASCADE; DROP TABLE IF EXISTS "${ordersTable}"`));

  // What synchronize (or migration:generate) would run touches only the entities' tables.
  const pending = await dataSource.driver.createSchemaBuilder().log();
  assert.ok(pending.upQueries.every((q) => !q.query.includes(txboxSchema)));
  await dataSource.synchronize();
  assert.equal((await pool.query(`SELECT count(*)::int AS n FROM "${txboxSchema}".txbox_outbox`)).rows[0].n, 0, "txbox's table is still there");

  await dataSource.transaction(async (manager) => {
    const order = await manager.save(Order, { id: 'o-1', total: 42 });
    await outbox.send(fromTypeOrm(manager), { topic: 'order.placed', key: order.id, payload: order });
  });
  outbox.nudge(); // a relay in this process delivers now, not at its next poll

  // A rollback takes the message with it.
  await dataSource
    .transaction(async (manager) => {
      await outbox.send(fromTypeOrm(manager), { topic: 'order.placed', payload: { id: 'o-2' } });
      throw new Error('payment declined');
    })
    .catch(() => {});

  const producer = createRecordingProducer(); // or txbox/rabbitmq, txbox/nats, ...
  const relay = createRelay({ store, producer });
  relay.start();
  await eventually(() => producer.messages.length === 1, 5000, 'the order.placed message');
  await relay.stop();

  assert.deepEqual(parsePayload(producer.messages[0]!), { id: 'o-1', total: 42 });
  assertSnippetsTested(new URL('../../docs/adapters/typeorm.md', import.meta.url), new URL(import.meta.url), new URL('./typeorm-consumers.test.ts', import.meta.url));
});
