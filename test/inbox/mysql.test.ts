import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import mysql from 'mysql2/promise';
import { createInbox } from '../../src/core/index.js';
import { createMysqlInbox, createMysqlStore, type MysqlPoolLike } from '../../src/stores/mysql/index.js';
import { mysqlTestDatabases } from '../support/mysql.js';
import { inboxContract } from './contract.js';

const dbs = mysqlTestDatabases();

// Every database and pool of this file goes at its end, after both suites.
after(() => dbs.dropAll());

/** A fresh database with the inbox, an outbox and a counter table for effects. */
async function database() {
  const { pool } = await dbs.create();
  await pool.query('CREATE TABLE counters (name VARCHAR(255) PRIMARY KEY, n INT NOT NULL)');
  const inbox = createMysqlInbox({ pool });
  await inbox.migrate();
  const run = async <T>(fn: (tx: mysql.PoolConnection) => Promise<T>): Promise<T> => {
    const conn = await pool.getConnection();
    try {
      await conn.query('START TRANSACTION');
      const result = await fn(conn);
      await conn.query('COMMIT');
      return result;
    } catch (error) {
      await conn.query('ROLLBACK');
      throw error;
    } finally {
      conn.release();
    }
  };
  return {
    pool,
    inbox,
    run,
    bump: async (tx: mysql.PoolConnection, name: string) => void (await tx.query('INSERT INTO counters (name, n) VALUES (?, 1) ON DUPLICATE KEY UPDATE n = n + 1', [name])),
    counter: async (name: string) => Number((await pool.query<mysql.RowDataPacket[]>('SELECT n FROM counters WHERE name = ?', [name]))[0][0]?.n ?? 0),
  };
}

inboxContract({
  name: 'mysql (MariaDB)',
  async create() {
    const db = await database();
    const outbox = createMysqlStore({ pool: db.pool });
    await outbox.migrate();
    return {
      ...db,
      outbox,
      age: async (ms: number) => void (await db.pool.query('UPDATE txbox_inbox SET received_at = received_at - INTERVAL ? MICROSECOND', [ms * 1000])),
    };
  },
  async close() {
    // The file's `after` hook drops the databases and ends the pools.
  },
});

describe('mysql inbox: locking and exact ids', () => {
  it('validates options without touching the pool', () => {
    const untouchable = new Proxy({}, { get: (_, name) => (name === 'query' || name === 'getConnection' ? () => assert.fail('no I/O') : undefined) }) as MysqlPoolLike;
    createMysqlInbox({ pool: untouchable, table: 'handled', schema: 'app' });
    assert.throws(() => createMysqlInbox({ pool: {} as MysqlPoolLike }), { code: 'INVALID_OPTION', field: 'pool' });
    assert.throws(() => createMysqlInbox({ pool: untouchable, table: 'bad-name' }), { code: 'INVALID_OPTION', field: 'table' });
    assert.throws(() => createMysqlInbox({ pool: untouchable, schema: 'x;drop' }), { code: 'INVALID_OPTION', field: 'schema' });
  });

  it('returns the stored result to a duplicate whose snapshot predates the first handling', async () => {
    const db = await database();
    const inbox = createInbox({ store: db.inbox, storeResults: true });
    // The duplicate's transaction reads first (REPEATABLE READ fixes its snapshot), then the
    // first handling commits, then the duplicate arrives in that older transaction.
    const late = await db.pool.getConnection();
    try {
      await late.query('START TRANSACTION');
      await late.query('SELECT count(*) FROM counters');
      await db.run((tx) => inbox.handleOnce(tx, { consumer: 'c', messageId: 'pay-1' }, () => ({ receipt: 'r-1' })));
      const outcome = await inbox.handleOnce(late, { consumer: 'c', messageId: 'pay-1' }, () => ({ receipt: 'r-2' }));
      assert.deepEqual(outcome, { duplicate: true, result: { receipt: 'r-1' } });
      await late.query('COMMIT');
    } finally {
      late.release();
    }
  });

  it('makes a duplicate wait for an uncommitted first handling, then handle it if that rolled back', async () => {
    const db = await database();
    const inbox = createInbox({ store: db.inbox });
    const first = await db.pool.getConnection();
    try {
      await first.query('START TRANSACTION');
      assert.equal((await inbox.handleOnce(first, { consumer: 'c', messageId: 'm' }, () => db.bump(first, 'm'))).duplicate, false);
      let settled = false;
      const second = db.run((tx) => inbox.handleOnce(tx, { consumer: 'c', messageId: 'm' }, () => db.bump(tx, 'm'))).finally(() => (settled = true));
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(settled, false, 'the duplicate waits on the uncommitted row');
      await first.query('ROLLBACK');
      assert.equal((await second).duplicate, false, 'handled: the first never happened');
    } finally {
      first.release();
    }
    assert.equal(await db.counter('m'), 1);
  });

  it('tells ids apart byte for byte: case and trailing spaces make another id', async () => {
    const db = await database();
    const inbox = createInbox({ store: db.inbox });
    const outcomes = [];
    for (const messageId of ['abc', 'ABC', 'abc ', 'abc']) {
      outcomes.push((await db.run((tx) => inbox.handleOnce(tx, { consumer: 'c', messageId }, () => db.bump(tx, 'n')))).duplicate);
    }
    assert.deepEqual(outcomes, [false, false, false, true]);
  });

  it('lets one cleaner work at a time: another skips while the lock is held', async () => {
    const db = await database();
    const inbox = createInbox({ store: db.inbox, windowMs: 60_000 });
    for (const id of ['a', 'b']) await db.run((tx) => inbox.handleOnce(tx, { consumer: 'c', messageId: id }, () => 1));
    await db.pool.query('UPDATE txbox_inbox SET received_at = received_at - INTERVAL 2 MINUTE');
    const [[named]] = await db.pool.query<mysql.RowDataPacket[]>(`SELECT CONCAT('txbox:inbox:', SHA1(CONCAT(DATABASE(), '.txbox_inbox'))) AS n`);
    const lock = String(named!.n);
    const holder = await db.pool.getConnection();
    try {
      await holder.query('SELECT GET_LOCK(?, 0)', [lock]);
      assert.equal(await inbox.cleanup(), 0, 'skipped: another cleaner holds the lock');
      await holder.query('SELECT RELEASE_LOCK(?)', [lock]);
      assert.equal(await inbox.cleanup(), 2);
    } finally {
      holder.release();
    }
    const [[free]] = await db.pool.query<mysql.RowDataPacket[]>('SELECT IS_FREE_LOCK(?) AS f', [lock]);
    assert.equal(Number(free!.f), 1, 'the cleaner released its lock');
  });
});
