import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { EntitySchema } from '@mikro-orm/core';
import { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import { createOutbox, createRelay, parsePayload } from '../../src/core/index.js';
import { createPostgresStore } from '../../src/stores/postgres/index.js';
import { fromMikroOrm } from '../../src/adapters/mikro-orm/index.js';
import { createRecordingProducer } from '../../src/testing/index.js';
import { eventually, PG_URL, uniqueName } from '../support/env.js';
import { assertSnippetsTested } from './doc-snippets.js';

// The example of docs/adapters/mikro-orm.md, run as it is written there (names made unique).
const url = PG_URL;
const txboxSchema = uniqueName('txbox');
const ordersTable = uniqueName('orders');
const cleanup: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const step of cleanup.reverse()) await step();
});

it('docs/adapters/mikro-orm.md: an order and its message commit together, the relay delivers it, the schema generator leaves txbox alone', async () => {
  interface Order {
    id: string;
    total: number;
  }
  const Order = new EntitySchema<Order>({
    name: 'Order',
    tableName: ordersTable,
    properties: { id: { type: 'string', primary: true }, total: { type: 'number' } },
  });

  const orm = await MikroORM.init({
    clientUrl: url,
    entities: [Order],
    // The schema generator drops what it does not know, in every schema: keep it out of txbox's.
    schemaGenerator: { ignoreSchema: [txboxSchema] },
  });
  const pool = new pg.Pool({ connectionString: url });
  const store = createPostgresStore({ pool, schema: txboxSchema });
  const outbox = createOutbox({ store });
  await store.migrate();
  cleanup.push(() => pool.end(), () => orm.close(), () => pool.query(`DROP SCHEMA IF EXISTS "${txboxSchema}" CASCADE; DROP TABLE IF EXISTS "${ordersTable}"`));

  const update = await orm.schema.getUpdateSchemaSQL();
  assert.ok(!update.includes(txboxSchema), 'the generator would not drop txbox\'s schema');
  assert.match(update, new RegExp(`create table "${ordersTable}"`));
  await orm.schema.execute(`create table "${ordersTable}" ("id" varchar(255) primary key, "total" int not null);`);

  await orm.em.transactional(async (em) => {
    const order = em.create(Order, { id: 'o-1', total: 42 });
    await outbox.send(fromMikroOrm(em), { topic: 'order.placed', key: order.id, payload: { id: order.id, total: order.total } });
  });
  outbox.nudge(); // a relay in this process delivers now, not at its next poll

  // A rollback takes the message with it.
  await orm.em
    .transactional(async (em) => {
      await outbox.send(fromMikroOrm(em), { topic: 'order.placed', payload: { id: 'o-2' } });
      throw new Error('payment declined');
    })
    .catch(() => {});

  const producer = createRecordingProducer(); // or txbox/rabbitmq, txbox/nats, ...
  const relay = createRelay({ store, producer });
  relay.start();
  await eventually(() => producer.messages.length === 1, 5000, 'the order.placed message');
  await relay.stop();

  assert.deepEqual(parsePayload(producer.messages[0]!), { id: 'o-1', total: 42 });
  assert.equal((await pool.query(`SELECT total FROM "${ordersTable}" WHERE id = 'o-1'`)).rows[0].total, 42, 'the entity was flushed in the same transaction');
  assertSnippetsTested(new URL('../../docs/adapters/mikro-orm.md', import.meta.url), new URL(import.meta.url), new URL('./mikro-orm-consumers.test.ts', import.meta.url));
});
