/**
 * The README's PostgreSQL quick start, runnable: a debit and its message commit in one
 * transaction, a relay hands the message to a producer, and SIGTERM (a container stop) or Ctrl-C
 * drains the relay and ends the pool, so the process exits at once.
 *
 *   npx tsx examples/relay-postgres.ts [postgres://url]
 *
 * It runs until stopped. Its tables live in a schema of their own, dropped at shutdown.
 */
import pg from 'pg';
import { createOutbox, createRelay } from 'txbox';
import { createPostgresStore } from 'txbox/postgres';

const pool = new pg.Pool({ connectionString: process.argv[2] ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' });
const schema = `relay_example_${process.pid}`;
await pool.query(`CREATE SCHEMA ${schema}; CREATE TABLE ${schema}.accounts (id text PRIMARY KEY, balance int);
  INSERT INTO ${schema}.accounts VALUES ('a1', 100);`);
const store = createPostgresStore({ pool, schema });
await store.migrate();
const outbox = createOutbox({ store });

// Write side: the business change and its message commit together, or neither does.
await store.transaction(async (client) => {
  await client.query(`UPDATE ${schema}.accounts SET balance = balance - $1 WHERE id = $2`, [10, 'a1']);
  await outbox.send(client, { topic: 'account.debited', key: 'a1', payload: { amount: 10 } });
});

// Relay: the producer stands in for a broker; returning normally means every message succeeded.
const relay = createRelay({
  store,
  producer: async (messages) => {
    for (const m of messages) console.log(JSON.stringify({ delivered: m.topic, id: m.id, key: m.key }));
  },
});
relay.start();

// Shutdown: stop() finishes and acknowledges the batch in flight; pool.end() then closes the idle
// connections, which would otherwise keep the process alive for the pool's idleTimeoutMillis
// (10 s by default), past a container's usual 10 s grace period.
const shutdown = async () => {
  await relay.stop();
  await pool.query(`DROP SCHEMA ${schema} CASCADE`);
  await pool.end();
};
process.once('SIGTERM', () => void shutdown());
process.once('SIGINT', () => void shutdown());
