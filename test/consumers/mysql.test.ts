import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import mysql from 'mysql2/promise';
import { createConsumers, defineConsumer } from '../../src/consumers/index.js';
import { parsePayload } from '../../src/core/index.js';
import { encodeMessages } from '../../src/core/message.js';
import { createMysqlInbox, createMysqlSchedules, createMysqlStore, type MysqlPoolLike } from '../../src/stores/mysql/index.js';
import { eventually, sleep } from '../support/env.js';
import { mysqlTestDatabases } from '../support/mysql.js';
import { consumersContract } from './contract.js';

// Both servers default to REPEATABLE READ; make it explicit, since the locking tests are about it.
const dbs = mysqlTestDatabases({ connectionLimit: 10, maxIdle: 2 }, (pool) =>
  pool.on('connection', (conn) => void conn.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ')),
);

after(() => dbs.dropAll());

/** The three tables and a counter table in a database of their own. */
async function create() {
  const { name, pool } = await dbs.create();
  const store = createMysqlStore({ pool });
  const inbox = createMysqlInbox({ pool });
  const schedules = createMysqlSchedules({ pool });
  await store.migrate();
  await inbox.migrate();
  await schedules.migrate();
  await pool.query('CREATE TABLE counters (name VARCHAR(255) PRIMARY KEY, n INT NOT NULL)');
  return {
    database: name,
    pool,
    store,
    inbox,
    schedules,
    write: async (fn: (tx: mysql.PoolConnection) => unknown) => void (await store.transaction(async (tx) => fn(tx as mysql.PoolConnection))),
    bump: async (tx: mysql.PoolConnection, counter: string) => void (await tx.query('INSERT INTO counters (name, n) VALUES (?, 1) ON DUPLICATE KEY UPDATE n = n + 1', [counter])),
    counter: async (counter: string) => Number((await pool.query<mysql.RowDataPacket[]>('SELECT n FROM counters WHERE name = ?', [counter]))[0][0]?.n ?? 0),
  };
}

consumersContract({
  name: 'mysql (MariaDB)',
  parallelTransactions: true,
  asyncHandlers: true,
  create,
  async close() {
    // The file's `after` hook drops the databases and ends the pools.
  },
});

describe('mysql consumers: debounce and schedules at REPEATABLE READ', () => {
  const indexer = defineConsumer({ name: 'indexer', topics: ['doc.changed'], handle: () => {} });

  it('validates schedule options without touching the pool', () => {
    const untouchable = new Proxy({}, { get: (_, name) => (name === 'query' || name === 'getConnection' ? () => assert.fail('no I/O') : undefined) }) as MysqlPoolLike;
    createMysqlSchedules({ pool: untouchable, table: 'cron', schema: 'app' });
    assert.throws(() => createMysqlSchedules({ pool: undefined as never }), { code: 'INVALID_OPTION', field: 'pool' });
    assert.throws(() => createMysqlSchedules({ pool: untouchable, table: 'cron jobs' }), { code: 'INVALID_OPTION', field: 'table' });
  });

  it('lets concurrent debounced publishes of new ids go through without waiting on each other', async () => {
    const t = await create();
    const bus = createConsumers({ store: t.store, inbox: t.inbox, consumers: [indexer] });
    const publish = (tx: mysql.PoolConnection, doc: string) => bus.publish(tx, { topic: 'doc.changed', payload: doc, dedupId: doc, debounce: true });
    const first = await t.pool.getConnection();
    try {
      await first.query('START TRANSACTION');
      await publish(first, 'doc-1'); // open: whatever it locked stays locked
      const second = t.write((tx) => publish(tx, 'doc-2'));
      const outcome = await Promise.race([second.then(() => 'done'), sleep(2000).then(() => 'waiting')]);
      assert.equal(outcome, 'done', 'a debounce of another id is not blocked by an open one');
      await first.query('COMMIT');
    } finally {
      first.release();
    }
    const [rows] = await t.pool.query<mysql.RowDataPacket[]>('SELECT dedup_key FROM txbox_outbox ORDER BY dedup_key');
    assert.deepEqual(rows.map((r) => r.dedup_key), ['indexer/11:doc.changed/doc-1', 'indexer/11:doc.changed/doc-2']);
  });

  it('rewrites a pending message the caller\'s older snapshot already saw, by the latest row', async () => {
    const t = await create();
    const seen: unknown[] = [];
    const consumer = defineConsumer({ name: 'indexer', topics: ['doc.changed'], handle: (ctx) => void seen.push(ctx.payload) });
    const bus = createConsumers({ store: t.store, inbox: t.inbox, consumers: [consumer], pollIntervalMs: 20 });
    const message = (n: number) => ({ topic: 'doc.changed', payload: n, dedupId: 'doc', debounce: true, delayMs: 300 });
    await t.write((tx) => bus.publish(tx, message(1)));
    const late = await t.pool.getConnection();
    try {
      await late.query('START TRANSACTION');
      await late.query('SELECT count(*) FROM txbox_outbox'); // fixes this transaction's snapshot
      await t.write((tx) => bus.publish(tx, message(2)));
      await bus.publish(late, message(3));
      await late.query('COMMIT');
    } finally {
      late.release();
    }
    bus.start();
    try {
      await eventually(() => seen.length === 1, 10_000, 'one handling');
      await sleep(300);
    } finally {
      await bus.stop();
    }
    assert.deepEqual(seen, [3], 'one message, with the last payload');
  });

  it('rewrites a message whose lease expired, and fences out the relay that held it', async () => {
    const t = await create();
    const store = createMysqlStore({ pool: t.pool, claimTimeoutMs: 100 });
    const [first, second] = encodeMessages([{ topic: 't', payload: 1, dedupKey: 'k' }, { topic: 't', payload: 2, dedupKey: 'k' }]);
    await store.transaction((tx) => store.write(tx, [first!]));
    const zombie = (await store.claim({ limit: 10 }))!;
    assert.equal(await store.transaction((tx) => store.replacePending!(tx, second!)), false, 'leased: left as it is');
    await sleep(150);
    assert.equal(await store.transaction((tx) => store.replacePending!(tx, second!)), true, 'the lease expired');
    assert.deepEqual(await store.settle(zombie, { delivered: [first!.id], failed: [], released: [] }), { lost: 1 });
    const again = (await store.claim({ limit: 10 }))!;
    assert.deepEqual(again.messages.map((m) => [m.id, parsePayload(m)]), [[second!.id, 2]], 'the new content is delivered');
  });

  it('refuses a debounced payload too large for max_allowed_packet, typed, and the transaction goes on', async () => {
    const t = await create();
    const bus = createConsumers({ store: t.store, inbox: t.inbox, consumers: [indexer] });
    const [[row]] = await t.pool.query<mysql.RowDataPacket[]>('SELECT @@max_allowed_packet AS n');
    const huge = 'x'.repeat(Math.ceil(Number(row!.n) / 2) + 1);
    await t.write(async (tx) => {
      await bus.publish(tx, { topic: 'doc.changed', payload: 'small', dedupId: 'doc', debounce: true });
      await assert.rejects(bus.publish(tx, { topic: 'doc.changed', payload: huge, dedupId: 'doc', debounce: true }), { code: 'PAYLOAD_TOO_LARGE' });
    });
    const [rows] = await t.pool.query<mysql.RowDataPacket[]>('SELECT CAST(payload AS CHAR) AS p FROM txbox_outbox');
    assert.deepEqual(rows.map((r) => r.p), ['"small"']);
  });

  it('keeps a schedule\'s ticks on whole milliseconds in UTC, whatever the session and driver time zones', async () => {
    const t = await create();
    const skewed = dbs.pool(t.database);
    skewed.on('connection', (conn) => void conn.query("SET time_zone = '+09:00'"));
    const schedules = createMysqlSchedules({ pool: skewed });
    const at = new Date(Date.UTC(2030, 0, 2, 3, 4, 5, 678));
    const conn = await skewed.getConnection();
    try {
      await schedules.save(conn, { name: 'n', cron: '* * * * *', timezone: null, topic: 't', payload: '1', key: null, nextRunAt: at });
    } finally {
      conn.release();
    }
    const [stored] = await t.schedules.list();
    assert.equal(stored!.nextRunAt.toISOString(), at.toISOString());
    await assert.rejects(t.write((tx) => t.schedules.save(tx, { ...stored!, nextRunAt: new Date(Date.UTC(10000, 0, 1)) })), { code: 'INVALID_ARGUMENT', field: 'schedule.nextRunAt' });
  });
});
