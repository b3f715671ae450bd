import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { createOutbox, createRelay, type OutboxStore } from '../../src/core/index.js';
import { createPostgresStore } from '../../src/stores/postgres/index.js';
import { createSqliteStore } from '../../src/stores/sqlite/index.js';
import { createRecordingProducer } from '../../src/testing/index.js';
import { PG_URL, uniqueName } from '../support/env.js';

/** A row written by hand with headers that are not JSON must not block the outbox. */
async function check(store: OutboxStore<unknown>, write: (messages: { topic: string; key: string; payload: number }[]) => Promise<void>, insertMalformed: () => Promise<void>) {
  await write([{ topic: 't', key: 'a', payload: 1 }]);
  await insertMalformed();
  await write([{ topic: 't', key: 'b', payload: 2 }, { topic: 't', key: 'a', payload: 3 }]);
  const producer = createRecordingProducer();
  const relay = createRelay({ store, producer });
  await relay.runOnce();
  await relay.runOnce();
  assert.deepEqual(producer.messages.map((m) => m.payload.toString()).sort(), ['1', '2', '3'], 'the readable messages flow, key a included');
  const dead = await store.listDeadLetters();
  assert.equal(dead.length, 1);
  assert.match(dead[0]!.error ?? '', /malformed row: headers must be a JSON object/);
  assert.equal(await relay.runOnce(), null, 'nothing left stuck');
}

describe('a malformed row written by hand', () => {
  it('is dead-lettered with the reason on SQLite, and the rest is delivered', async () => {
    const db = new Database(':memory:');
    const store = createSqliteStore({ db });
    await store.migrate();
    const outbox = createOutbox({ store });
    await check(
      store as OutboxStore<unknown>,
      async (messages) => void store.transaction((tx) => outbox.sendSync(tx, messages)),
      async () => void db.prepare(`INSERT INTO txbox_outbox (id, topic, key, payload, content_type, headers, created_at, available_at) VALUES ('0190a2c4-0000-7000-8000-000000000001', 't', 'x', X'31', 'application/json', '{bad', 0, 0)`).run(),
    );
    db.close();
  });

  it('with a time written as text is refused by SQLite, instead of never being claimable', async () => {
    const db = new Database(':memory:');
    const store = createSqliteStore({ db });
    await store.migrate();
    const insert = (availableAt: string | number) =>
      db.prepare(`INSERT INTO txbox_outbox (id, topic, payload, content_type, created_at, available_at) VALUES (lower(hex(randomblob(16))), 't', X'31', 'application/json', 0, ?)`).run(availableAt);
    assert.throws(() => insert('2026-11-22 10:00:00'), /CHECK constraint failed/);
    insert('1700000000000'); // digits are stored as an integer
    insert(1_700_000_000_000);
    const batch = await store.claim({ limit: 10 });
    assert.equal(batch?.messages.length, 2);
    db.close();
  });

  const pool = new pg.Pool({ connectionString: PG_URL, max: 3 });
  const table = uniqueName('malformed');
  after(async () => {
    await pool.query(`DROP TABLE IF EXISTS "${table}"`);
    await pool.end();
  });

  it('is dead-lettered with the reason on PostgreSQL, and the rest is delivered', async () => {
    const store = createPostgresStore({ pool, table });
    await store.migrate();
    const outbox = createOutbox({ store });
    await check(
      store as OutboxStore<unknown>,
      (messages) => store.transaction(async (tx) => void (await outbox.send(tx, messages))),
      async () => void (await pool.query(`INSERT INTO "${table}" (id, topic, key, payload, content_type, headers) VALUES (gen_random_uuid(), 't', 'x', '\\x31', 'application/json', '[1, 2]')`)),
    );
  });
});
