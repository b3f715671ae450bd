/**
 * What docs/concepts.md#order promises about writers on PostgreSQL: positions are taken at
 * insert, so unserialised writers of one key get insert order, and the advisory lock the page
 * shows makes them wait for each other, which gives commit order.
 */
import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import pg from 'pg';
import { createOutbox, createRelay, parsePayload } from '../src/core/index.js';
import { createPostgresStore } from '../src/stores/postgres/index.js';
import { eventually, PG_URL, uniqueName } from './support/env.js';

describe('per-key order of concurrent writers (PostgreSQL)', () => {
  const pool = new pg.Pool({ connectionString: PG_URL, max: 6 });
  const tables: string[] = [];
  const open = new Set<pg.PoolClient>();
  afterEach(async () => {
    // A failed test may leave a writer's transaction open: end it, or pool.end() would wait forever.
    for (const client of open) {
      await client.query('ROLLBACK').catch(() => {});
      client.release();
    }
    open.clear();
  });
  after(async () => {
    for (const t of tables) await pool.query(`DROP TABLE IF EXISTS "${t}"`);
    await pool.end();
  });

  async function setUp() {
    const table = uniqueName('order_writers');
    tables.push(table);
    const store = createPostgresStore({ pool, table });
    await store.migrate();
    const outbox = createOutbox({ store });
    const delivered: string[] = [];
    const relay = createRelay({ store, producer: (messages) => void delivered.push(...messages.map((m) => parsePayload(m) as string)) });
    const begin = async () => {
      const client = await pool.connect();
      open.add(client);
      await client.query('BEGIN');
      return client;
    };
    const commit = async (client: pg.PoolClient) => {
      await client.query('COMMIT');
      open.delete(client);
      client.release();
    };
    const drain = async () => {
      for (let i = 0; i < 10 && (await relay.runOnce()) !== null; i++);
      return delivered;
    };
    return { outbox, begin, commit, drain };
  }

  it('without a lock, the later INSERT that commits first is still delivered second (insert order)', async () => {
    const { outbox, begin, commit, drain } = await setUp();
    const first = await begin();
    await outbox.send(first, { topic: 't', key: 'k', payload: 'inserted first, committed second' });
    const second = await begin();
    await outbox.send(second, { topic: 't', key: 'k', payload: 'inserted second, committed first' });
    await commit(second);
    await commit(first);
    assert.deepEqual(await drain(), ['inserted first, committed second', 'inserted second, committed first']);
  });

  it('with pg_advisory_xact_lock(hashtext(key)) before send(), the second writer waits, so delivery is commit order', async () => {
    const { outbox, begin, commit, drain } = await setUp();
    const lockKey = (client: pg.PoolClient) => client.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['k']);
    const first = await begin();
    await lockKey(first);
    await outbox.send(first, { topic: 't', key: 'k', payload: 'committed first' });

    const second = await begin();
    const secondPid = (await second.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
    const secondDone = (async () => {
      await lockKey(second);
      await outbox.send(second, { topic: 't', key: 'k', payload: 'committed second' });
      await commit(second);
    })();
    secondDone.catch(() => {}); // awaited below; a failure before that must not go unhandled
    // The second writer is blocked on the key's lock, before it could take a position.
    const waiting = async () => (await pool.query(`SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND pid = $1`, [secondPid])).rowCount === 1;
    await eventually(waiting, 5000, 'the second writer to wait for the key lock');

    await commit(first);
    await secondDone;
    assert.deepEqual(await drain(), ['committed first', 'committed second']);
  });
});
