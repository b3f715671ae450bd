/**
 * Found by the fault harness (scenario "malformed rows"): one outbox row whose `headers` column
 * is not JSON (written by hand, by a migration, by another tool) makes every claim that reaches
 * it throw, because the stores decode rows with JSON.parse inside claim():
 *
 * - SQLite: the row is always the oldest candidate, so EVERY claim throws: the relay delivers
 *   nothing at all, for any key, forever (claim.failed in a loop).
 * - PostgreSQL, lock mode: claim() throws after the claim transaction was opened and never
 *   releases its connection; the rows stay locked until the server's idle timeout and the pool
 *   loses a connection each time. Once the pool is exhausted the relay stalls for every key, and
 *   relay.stop() waits on pool.connect() (forever with pg's default pool settings).
 * - PostgreSQL, lease mode: the batch's leases are taken, then claim() throws; the batch (other
 *   keys included) is held until the leases expire, again and again, and the bad row is never
 *   set aside.
 *
 * Expected (design guarantee 6 and "the relay must not block other keys"): an undecodable row is
 * set aside as a dead letter whose error names the column, and every other message is delivered.
 *
 * Run: node --import tsx --test test/regressions/malformed-row.test.ts
 * (PostgreSQL cases use TXBOX_PG_URL, default postgres://postgres@127.0.0.1:5432/test.)
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { createOutbox, createRelay, type OutboxStore } from '../../src/core/index.js';
import { createPostgresStore } from '../../src/stores/postgres/index.js';
import { createSqliteStore } from '../../src/stores/sqlite/index.js';
import { createRecordingProducer } from '../../src/testing/index.js';

const PG_URL = process.env.TXBOX_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function expectBadRowSetAside(store: OutboxStore<any>, send: () => Promise<void>, insertBad: (id: string) => Promise<void>, deadIds: () => Promise<string[]>) {
  const badId = randomUUID();
  await insertBad(badId);
  await send();
  const producer = createRecordingProducer();
  const relay = createRelay({ store, producer, produceTimeoutMs: 500 });
  for (let i = 0; i < 5; i++) await relay.runOnce().catch(() => null);
  assert.deepEqual(producer.messages.map((m) => m.key), ['good'], 'the well-formed message of another key was not delivered');
  assert.deepEqual(await deadIds(), [badId], 'the undecodable row was not set aside as a dead letter');
  const [dead] = await store.listDeadLetters();
  assert.match(String(dead?.error), /headers/, 'the dead letter does not name the column at fault');
}

describe('an outbox row whose headers are not JSON', () => {
  it('is set aside, and other keys are delivered (sqlite)', async () => {
    const db = new Database(':memory:');
    const store = createSqliteStore({ db, claimTimeoutMs: 1000 });
    await store.migrate();
    const outbox = createOutbox({ store });
    await expectBadRowSetAside(
      store,
      async () => void store.transaction((tx) => outbox.sendSync(tx, { topic: 't', key: 'good', payload: 1 })),
      async (id) => {
        db.prepare(`INSERT INTO txbox_outbox (id, topic, key, payload, content_type, headers, created_at, available_at) VALUES (?, 't', 'bad', ?, 'application/json', '{broken', ?, ?)`).run(id, Buffer.from('1'), Date.now(), Date.now());
      },
      async () => (db.prepare('SELECT id FROM txbox_outbox WHERE dead_at IS NOT NULL').all() as { id: string }[]).map((r) => r.id),
    );
    db.close();
  });

  for (const claimMode of ['lock', 'lease'] as const) {
    describe(`postgres (${claimMode})`, () => {
      const pool = new pg.Pool({ connectionString: PG_URL, max: 3, connectionTimeoutMillis: 3000 });
      const table = `malformed_${process.pid}_${claimMode}`;
      after(async () => {
        await pool.query(`DROP TABLE IF EXISTS "${table}"`);
        // A client leaked by a failed claim is never released, so end() alone could wait forever.
        await Promise.race([pool.end(), new Promise((r) => setTimeout(r, 500))]);
      });
      it('is set aside, and other keys are delivered', async () => {
        const store = createPostgresStore({ pool, table, claimMode, claimTimeoutMs: 1000 });
        await store.migrate();
        const outbox = createOutbox({ store });
        await expectBadRowSetAside(
          store,
          () => store.transaction(async (tx) => void (await outbox.send(tx, { topic: 't', key: 'good', payload: 1 }))),
          async (id) => {
            await pool.query(`INSERT INTO "${table}" (id, topic, key, payload, content_type, headers) VALUES ($1, 't', 'bad', $2, 'application/json', '{broken')`, [id, Buffer.from('1')]);
          },
          async () => (await pool.query(`SELECT id::text AS id FROM "${table}" WHERE dead_at IS NOT NULL`)).rows.map((r: { id: string }) => r.id),
        );
      });
      it('does not keep a connection checked out after a claim that failed', async () => {
        const app = `txbox_leak_${process.pid}_${claimMode}`;
        const small = new pg.Pool({ connectionString: PG_URL, max: 2, connectionTimeoutMillis: 1000, application_name: app });
        small.on('error', () => {});
        const store = createPostgresStore({ pool: small, table: `${table}_leak`, claimMode, claimTimeoutMs: 30_000 });
        try {
          await store.migrate();
          // Two bad rows of two keys: each failed claim of one row holds one connection.
          for (const key of ['bad1', 'bad2']) {
            await small.query(`INSERT INTO "${table}_leak" (id, topic, key, payload, content_type, headers) VALUES ($1, 't', $2, $3, 'application/json', '{broken')`, [randomUUID(), key, Buffer.from('1')]);
          }
          for (let i = 0; i < 2; i++) {
            const batch = await store.claim({ limit: 1 }).catch(() => null);
            // A claim that succeeds holds its connection until it is settled; settle it at once.
            if (batch) await store.settle(batch, { delivered: [], failed: [], released: batch.messages.map((m) => m.id) });
          }
          await assert.doesNotReject(small.query('SELECT 1'), 'the failed claims kept every connection of the pool (open transactions holding row locks)');
        } finally {
          // Ends the transactions a failed claim left open, so the table can be dropped.
          await pool.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, [app]);
          await pool.query(`DROP TABLE IF EXISTS "${table}_leak"`).catch(() => {});
          await Promise.race([small.end(), new Promise((r) => setTimeout(r, 500))]);
        }
      });
    });
  }
});
