/**
 * The same modular monolith on PostgreSQL: orders → billing → email, handlers async, several
 * processes may run it at once (claims, the inbox and schedules are safe across processes).
 *
 *   npx tsx examples/monolith-postgres.ts [orders] [postgres://url]
 *
 * SIGTERM or Ctrl-C stops it early: the handlers in flight finish, its tables are dropped and the
 * pool is ended, so the process exits at once.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { createConsumers, defineConsumer } from 'txbox/consumers';
import { createPostgresInbox, createPostgresSchedules, createPostgresStore } from 'txbox/postgres';

const pool = new pg.Pool({ connectionString: process.argv[3] ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' });
const schema = `monolith_${process.pid}`;
await pool.query(`CREATE SCHEMA ${schema};
  CREATE TABLE ${schema}.orders (id text PRIMARY KEY, customer text, total int);
  CREATE TABLE ${schema}.invoices (order_id text PRIMARY KEY, amount int);
  CREATE TABLE ${schema}.emails (order_id text PRIMARY KEY, body text);`);
const store = createPostgresStore({ pool, schema });
const inbox = createPostgresInbox({ pool, schema });
const schedules = createPostgresSchedules({ pool, table: `${schema}_schedules` });
for (const part of [store, inbox, schedules]) await part.migrate();

type Tx = pg.PoolClient;

const billing = defineConsumer<Tx, { id: string; total: number }>({
  name: 'billing',
  topics: ['order.placed'],
  concurrency: 4,
  handle: async ({ tx, payload, publish }) => {
    await tx.query(`INSERT INTO ${schema}.invoices (order_id, amount) VALUES ($1, $2)`, [payload.id, payload.total]);
    await publish({ topic: 'invoice.created', key: payload.id, payload: { orderId: payload.id, amount: payload.total } });
  },
});

const email = defineConsumer<Tx, { orderId: string; amount: number }>({
  name: 'email',
  topics: ['invoice.created'],
  concurrency: 4,
  handle: async ({ tx, payload }) => {
    await tx.query(`INSERT INTO ${schema}.emails (order_id, body) VALUES ($1, $2)`, [payload.orderId, `Your invoice: ${payload.amount}`]);
  },
});

const consumers = createConsumers({ store, inbox, schedules, consumers: [billing, email], pollIntervalMs: 50 });
consumers.start();

// A stop request ends the loops below; the shutdown at the end then runs as after a full run.
const stopping = new AbortController();
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => stopping.abort());

const count = Number(process.argv[2] ?? 20);
let written = 0;
for (let i = 0; i < count && !stopping.signal.aborted; i++, written++) {
  await store.transaction(async (tx) => {
    await tx.query(`INSERT INTO ${schema}.orders (id, customer, total) VALUES ($1, $2, $3)`, [`o${i}`, `c${i % 3}`, 100 + i]);
    await consumers.publish(tx, { topic: 'order.placed', key: `c${i % 3}`, payload: { id: `o${i}`, total: 100 + i } });
  });
}

const countOf = async (table: string) => (await pool.query(`SELECT count(*)::int AS n FROM ${schema}.${table}`)).rows[0].n as number;
const deadline = Date.now() + 20_000;
while ((await countOf('emails')) < written && Date.now() < deadline && !stopping.signal.aborted) await sleep(20);
// Shutdown: stop() lets the handlers in flight commit; pool.end() closes the idle connections,
// which would otherwise keep the process alive for idleTimeoutMillis (10 s by default).
await consumers.stop();
console.log(JSON.stringify({ orders: written, invoices: await countOf('invoices'), emails: await countOf('emails') }));
await pool.query(`DROP SCHEMA ${schema} CASCADE; DROP TABLE IF EXISTS ${schema}_schedules`);
await pool.end();
