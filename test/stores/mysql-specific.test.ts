import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import mysql from 'mysql2/promise';
import { createOutbox, type ClaimedBatch, type MessageInput, type OutboxMessage, type Settlement } from '../../src/core/index.js';
import { createMysqlStore, type MysqlConnectionLike, type MysqlPoolLike, type MysqlStoreOptions } from '../../src/stores/mysql/index.js';
import { eventually, sleep, uniqueName, MYSQL_URL } from '../support/env.js';

const pools: mysql.Pool[] = [];
const databases: string[] = [];

function newPool(database?: string): mysql.Pool {
  const url = new URL(MYSQL_URL);
  if (database) url.pathname = `/${database}`;
  const pool = mysql.createPool({ uri: url.toString(), connectionLimit: 4, maxIdle: 1, idleTimeout: 3000 });
  // Both servers default to REPEATABLE READ; make it explicit, since these tests are about it.
  pool.on('connection', (conn) => void conn.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ'));
  pools.push(pool);
  return pool;
}

const admin = newPool();

/** A store on a fresh database, and a second relay's store on another pool. */
async function setup(options: Omit<MysqlStoreOptions, 'pool'> = {}) {
  const database = uniqueName('txbox');
  await admin.query(`CREATE DATABASE \`${database}\``);
  databases.push(database);
  const pool = newPool(database);
  const store = createMysqlStore({ pool, ...options });
  await store.migrate();
  const outbox = createOutbox({ store });
  return {
    database,
    pool,
    store,
    outbox,
    other: () => createMysqlStore({ pool: newPool(database), ...options }),
    send: (messages: MessageInput | MessageInput[]) => store.transaction((tx) => outbox.send(tx, messages)),
    count: async () => Number((await pool.query<mysql.RowDataPacket[]>('SELECT count(*) AS n FROM txbox_outbox'))[0][0]!.n),
  };
}

const delivered = (messages: readonly OutboxMessage[]): Settlement => ({ delivered: messages.map((m) => m.id), failed: [], released: [] });

/**
 * Wraps a pool so a claim stops right before it stamps its lease (its candidate rows locked,
 * its transaction open) until `resume()`: a relay paused in the middle of its claim.
 */
function pausingPool(inner: mysql.Pool) {
  let resume!: () => void;
  const gate = new Promise<void>((r) => (resume = r));
  let reached!: (threadId: number) => void;
  const paused = new Promise<number>((r) => (reached = r));
  const wrap = (conn: mysql.PoolConnection): MysqlConnectionLike => ({
    async query(sql, values) {
      if (/^\/\*.*?\*\/ UPDATE \S+ SET `lease_token` = \?/.test(sql)) {
        reached(conn.threadId);
        await gate;
      }
      return conn.query(sql, values);
    },
    release: () => conn.release(),
    destroy: () => conn.destroy(),
  });
  const pool: MysqlPoolLike = { query: (sql, values) => inner.query(sql, values), getConnection: async () => wrap(await inner.getConnection()) };
  return { pool, paused, resume };
}

after(async () => {
  for (const database of databases) await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
  await Promise.all(pools.map((p) => p.end()));
});

describe('mysql store: writing', () => {
  it('fails a payload too large for max_allowed_packet alone, and the transaction still commits', async () => {
    const t = await setup();
    const [[row]] = await t.pool.query<mysql.RowDataPacket[]>('SELECT @@max_allowed_packet AS n');
    const maxPacket = Number(row!.n);
    const huge = Buffer.alloc(Math.ceil(maxPacket / 2) + 1, 1);
    const fits = Buffer.alloc(Math.floor(maxPacket / 2) - 64 * 1024, 2);
    await t.store.transaction(async (tx) => {
      await t.outbox.send(tx, { topic: 't', payload: 'before' });
      await assert.rejects(t.outbox.send(tx, [{ topic: 't', payload: 'same call' }, { topic: 't', payload: huge }]), (e: Record<string, unknown>) => {
        assert.equal(e.code, 'PAYLOAD_TOO_LARGE');
        assert.equal(e.field, 'messages[1].payload');
        assert.equal(e.value, huge.length);
        assert.match(String(e.message), /max_allowed_packet/);
        return true;
      });
      await t.outbox.send(tx, { topic: 't', payload: fits });
    });
    const batch = (await t.store.claim({ limit: 10 }))!;
    assert.equal(batch.messages.length, 2, 'the rows before and after the failed call committed; nothing of that call did');
    assert.ok(Buffer.from(batch.messages[1]!.payload).equals(fits), 'a payload near the limit goes through intact');
  });

  for (const outcome of ['COMMIT', 'ROLLBACK'] as const) {
    it(`of two transactions racing on one dedup key, the second waits for the first (${outcome})`, async () => {
      const t = await setup();
      const [a, b] = [await t.pool.getConnection(), await t.pool.getConnection()];
      try {
        await a.query('START TRANSACTION');
        await b.query('START TRANSACTION');
        await t.outbox.send(a, { topic: 't', payload: 'a', dedupKey: 'race' });
        let done = false;
        const second = t.outbox.send(b, { topic: 't', payload: 'b', dedupKey: 'race' }).finally(() => (done = true));
        await sleep(200);
        assert.equal(done, false, 'the second insert waits on the first transaction');
        await a.query(outcome);
        const result = await second;
        await b.query('COMMIT');
        assert.deepEqual(result.duplicates, outcome === 'COMMIT' ? result.ids : []);
        assert.equal(await t.count(), 1);
      } finally {
        a.release();
        b.release();
      }
    });
  }

  it('checks dedup keys against committed rows, not a REPEATABLE READ snapshot', async () => {
    const t = await setup();
    await t.send({ topic: 't', payload: 'old', dedupKey: 'gone' });
    const conn = await t.pool.getConnection();
    try {
      await conn.query('START TRANSACTION');
      await conn.query('SELECT count(*) FROM txbox_outbox'); // the snapshot: 'gone' is pending in it
      const batch = (await t.store.claim({ limit: 10 }))!;
      await t.store.settle(batch, delivered(batch.messages));
      await t.send({ topic: 't', payload: 'new', dedupKey: 'fresh' });
      const gone = await t.outbox.send(conn, { topic: 't', payload: 2, dedupKey: 'gone' });
      const fresh = await t.outbox.send(conn, { topic: 't', payload: 2, dedupKey: 'fresh' });
      await conn.query('COMMIT');
      assert.deepEqual(gone.duplicates, [], 'delivered since the snapshot: stored again');
      assert.deepEqual(fresh.duplicates, fresh.ids, 'committed since the snapshot: a duplicate');
    } finally {
      conn.release();
    }
  });

  it('refuses a duplicate id even when its dedup key is pending, and leaves nothing of that call', async () => {
    const t = await setup();
    const { ids } = await t.send({ topic: 't', payload: 1, dedupKey: 'd1' });
    const id = ids[0]!;
    await assert.rejects(t.send({ id, topic: 't', payload: 2, dedupKey: 'd1' }), { code: 'DUPLICATE_ID', value: id });
    await assert.rejects(t.send({ id, topic: 't', payload: 3, dedupKey: 'd2' }), { code: 'DUPLICATE_ID', value: id });
    await t.store.transaction(async (tx) => {
      const call = [
        { topic: 't', payload: 4, dedupKey: 'd1' },
        { topic: 't', payload: 5 },
        { id, topic: 't', payload: 6 },
      ];
      await assert.rejects(t.outbox.send(tx, call), { code: 'DUPLICATE_ID', field: 'messages[2].id' });
    });
    assert.equal(await t.count(), 1);
  });

  it('keeps a dead letter dead while its dedup key is pending again, and requeues the others', async () => {
    const t = await setup();
    const bury = async (ids: readonly string[]) => {
      const batch = (await t.store.claim({ limit: 10 }))!;
      const failed = ids.map((id) => ({ id, error: 'x', retryInMs: 0, dead: true }));
      await t.store.settle(batch, { delivered: batch.messages.map((m) => m.id).filter((id) => !ids.includes(id)), failed, released: [] });
    };
    const { ids: [deduped] } = await t.send({ topic: 't', payload: 1, dedupKey: 'r' });
    await bury([deduped!]);
    const { ids: [plain] } = await t.send({ topic: 't', payload: 2 });
    await bury([plain!]);
    assert.deepEqual((await t.send({ topic: 't', payload: 3, dedupKey: 'r' })).duplicates, [], 'a dead letter does not count as pending');
    assert.equal(await t.store.requeueDeadLetters([deduped!, plain!]), 1);
    assert.deepEqual((await t.store.listDeadLetters()).map((d) => d.id), [deduped]);
  });
});

describe('mysql store: claiming', () => {
  it('claims at READ COMMITTED: writers and other relays go on while a claim is open', async () => {
    const t = await setup();
    await t.send([{ topic: 't', key: 'k', payload: 'k1' }, { topic: 't', key: 'k', payload: 'k2' }, { topic: 't', key: 'j', payload: 'j1' }]);
    const pausing = pausingPool(t.pool);
    const paused = createMysqlStore({ pool: pausing.pool });
    const first = paused.claim({ limit: 1 });
    const threadId = await pausing.paused;
    try {
      const [trx] = await t.pool.query<mysql.RowDataPacket[]>('SELECT trx_isolation_level AS level FROM information_schema.innodb_trx WHERE trx_mysql_thread_id = ?', [threadId]);
      assert.equal(trx[0]?.level, 'READ COMMITTED');
      const writer = await t.pool.getConnection();
      try {
        await writer.query('SET SESSION innodb_lock_wait_timeout = 1');
        await writer.query('START TRANSACTION');
        await t.outbox.send(writer, { topic: 't', payload: 'new' });
        await writer.query('COMMIT');
      } finally {
        writer.release();
      }
      const other = (await t.other().claim({ limit: 10 }))!;
      assert.deepEqual(other.messages.map((m) => Buffer.from(m.payload).toString()), ['"j1"', '"new"'], 'k1 is skipped, k2 waits behind it');
    } finally {
      pausing.resume();
    }
    assert.deepEqual((await first)!.messages.map((m) => m.key), ['k']);
  });

  it('ends the transaction of a relay paused in its claim, so another relay takes the rows', async () => {
    const t = await setup({ claimTimeoutMs: 1000 });
    await t.send([{ topic: 't', payload: 1 }, { topic: 't', payload: 2 }]);
    const pausing = pausingPool(t.pool);
    const first = createMysqlStore({ pool: pausing.pool, claimTimeoutMs: 1000 }).claim({ limit: 10 });
    await pausing.paused;
    const other = t.other();
    let taken: ClaimedBatch | null = null;
    try {
      assert.equal((await other.claim({ limit: 10 }))!.messages.length, 0, 'locked while the claim is open');
      await eventually(async () => ((taken = await other.claim({ limit: 10 }))?.messages.length ?? 0) === 2, 10_000, 'the rows to come back');
    } finally {
      pausing.resume();
    }
    await assert.rejects(first, 'the paused claim finds its connection closed');
    assert.equal((await other.settle(taken!, delivered(taken!.messages))).lost, 0);
    assert.equal(await t.count(), 0);
  });

  it('in lock mode, ends the transaction of a relay paused while publishing; its late acknowledgement is lost', async () => {
    const t = await setup({ claimTimeoutMs: 1000, claimMode: 'lock' });
    await t.send([{ topic: 't', payload: 1 }, { topic: 't', payload: 2 }]);
    const zombie = (await t.store.claim({ limit: 10 }))!;
    assert.equal(zombie.messages.length, 2);
    const other = t.other();
    let taken: ClaimedBatch | null = null;
    assert.equal((await other.claim({ limit: 10 }))!.messages.length, 0, 'locked while the claim is open');
    await eventually(async () => ((taken = await other.claim({ limit: 10 }))?.messages.length ?? 0) === 2, 10_000, 'the rows to come back');
    await assert.rejects(t.store.settle(zombie, delivered(zombie.messages)), (e: unknown) => (e as { code?: string }).code === 'CLAIM_LOST');
    assert.equal((await other.settle(taken!, delivered(taken!.messages))).lost, 0);
    assert.equal(await t.count(), 0);
  });

  it('claims and settles a lock-mode batch in five round trips, and hands the connection back with its session as it was', async () => {
    for (const autocommit of [1, 0]) {
      const t = await setup();
      await t.send([{ topic: 't', payload: 1 }, { topic: 't', payload: 2 }]);
      const url = new URL(MYSQL_URL);
      url.pathname = `/${t.database}`;
      const one = mysql.createPool({ uri: url.toString(), connectionLimit: 1 });
      pools.push(one);
      one.on('connection', (conn) => void conn.query(`SET SESSION autocommit = ${autocommit}, SESSION wait_timeout = 777`));
      const statements: string[] = [];
      const counting: MysqlPoolLike = {
        query: (sql, values) => one.query(sql, values),
        getConnection: async () => {
          const conn = await one.getConnection();
          return { query: (sql, values) => (statements.push(sql), conn.query(sql, values)), release: () => conn.release(), destroy: () => conn.destroy() };
        },
      };
      const store = createMysqlStore({ pool: counting, claimMode: 'lock' });
      const batch = (await store.claim({ limit: 10 }))!;
      assert.equal(batch.messages.length, 2);
      await store.settle(batch, delivered(batch.messages));
      assert.equal(statements.length, 5, `session, isolation, claim, acknowledgement, commit and restore: ${statements.join(' | ')}`);
      assert.equal(await t.count(), 0, 'committed: another connection sees the rows gone');
      const [session] = await one.query<mysql.RowDataPacket[]>('SELECT @@SESSION.autocommit AS autocommit, @@SESSION.wait_timeout AS wait_timeout');
      assert.deepEqual({ ...session[0] }, { autocommit, wait_timeout: 777 }, 'the session as the pool had it');
    }
  });

  it('never acknowledges another message that reuses a position', async () => {
    const t = await setup({ claimTimeoutMs: 400 });
    await t.send([{ topic: 't', payload: 1 }, { topic: 't', payload: 2 }]);
    const stale = (await t.store.claim({ limit: 10 }))!;
    await sleep(600);
    const other = t.other();
    const fresh = (await other.claim({ limit: 10 }))!;
    await other.settle(fresh, delivered(fresh.messages));
    await t.pool.query('ALTER TABLE txbox_outbox AUTO_INCREMENT = 1');
    const { ids } = await t.send([{ topic: 't', payload: 3 }, { topic: 't', payload: 4 }]);
    const [positions] = await t.pool.query<mysql.RowDataPacket[]>('SELECT position FROM txbox_outbox ORDER BY position');
    assert.deepEqual(positions.map((r) => Number(r.position)), [1, 2], 'the positions were handed out again');
    assert.equal((await t.store.settle(stale, delivered(stale.messages))).lost, 2);
    assert.deepEqual((await other.claim({ limit: 10 }))!.messages.map((m) => m.id), ids);
  });

  it('bounds an acknowledgement stuck behind a writer\'s lock with the statement timeout', async () => {
    const t = await setup({ queryTimeoutMs: 300 });
    await t.send({ topic: 't', payload: 1, dedupKey: 'x' });
    const batch = (await t.store.claim({ limit: 10 }))!;
    const writer = await t.pool.getConnection();
    try {
      await writer.query('START TRANSACTION');
      // A duplicate-key check leaves a shared lock on the pending row until the writer ends.
      assert.equal((await t.outbox.send(writer, { topic: 't', payload: 2, dedupKey: 'x' })).duplicates.length, 1);
      await assert.rejects(t.store.settle(batch, delivered(batch.messages)), { errno: 1969 });
      await writer.query('COMMIT');
    } finally {
      writer.release();
    }
    assert.equal((await t.store.settle(batch, delivered(batch.messages))).lost, 0);
    assert.equal(await t.count(), 0);
  });
});
