import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { createOutbox, createRelay, parsePayload } from '../../src/core/index.js';
import { createPostgresStore } from '../../src/stores/postgres/index.js';
import { fromPrisma } from '../../src/adapters/prisma/index.js';
import { createRecordingProducer } from '../../src/testing/index.js';
import { PrismaClient } from '../fixtures/prisma/pg/client/client.js';
import { eventually, PG_URL, uniqueName } from '../support/env.js';
import { assertSnippetsTested } from './doc-snippets.js';

// The example of docs/adapters/prisma.md, run as it is written there (schemas made unique). The
// generated client is test/fixtures/prisma/pg (model Order, table "orders").
const url = PG_URL;
const txboxSchema = uniqueName('txbox');
const appSchema = uniqueName('app');
const cleanup: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const step of cleanup.reverse()) await step();
});

it('docs/adapters/prisma.md: an order and its message commit together in an interactive transaction, and the relay delivers it', async () => {
  const pool = new pg.Pool({ connectionString: url });
  cleanup.push(() => pool.end(), () => pool.query(`DROP SCHEMA IF EXISTS "${txboxSchema}" CASCADE; DROP SCHEMA IF EXISTS "${appSchema}" CASCADE`));
  // What `prisma migrate deploy` would have made of the fixture's schema.
  await pool.query(`CREATE SCHEMA "${appSchema}"; CREATE TABLE "${appSchema}".orders (id serial PRIMARY KEY, label text NOT NULL)`);

  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: url }, { schema: appSchema }) });
  // txbox's table lives in a schema of its own, which Prisma does not manage.
  const store = createPostgresStore({ pool, schema: txboxSchema });
  const outbox = createOutbox({ store });
  await store.migrate();
  cleanup.push(() => prisma.$disconnect());

  await prisma.$transaction(async (tx) => {
    const order = await tx.order.create({ data: { label: 'two books' } });
    await outbox.send(fromPrisma(tx), { topic: 'order.placed', key: String(order.id), payload: order });
  });
  outbox.nudge(); // a relay in this process delivers now, not at its next poll

  // A rollback takes the message with it.
  await prisma
    .$transaction(async (tx) => {
      await outbox.send(fromPrisma(tx), { topic: 'order.placed', payload: { label: 'declined' } });
      throw new Error('payment declined');
    })
    .catch(() => {});

  const producer = createRecordingProducer(); // or txbox/rabbitmq, txbox/nats, ...
  const relay = createRelay({ store, producer });
  relay.start();
  await eventually(() => producer.messages.length === 1, 5000, 'the order.placed message');
  await relay.stop();

  assert.deepEqual(parsePayload(producer.messages[0]!), { id: 1, label: 'two books' });
  assertSnippetsTested(new URL('../../docs/adapters/prisma.md', import.meta.url), new URL(import.meta.url), new URL('./prisma-consumers.test.ts', import.meta.url));
});
