import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import mysql from 'mysql2/promise';
import { createOutbox, parsePayload } from '../../src/core/index.js';
import { createMysqlStore, type MysqlClaimMode, type MysqlPoolLike } from '../../src/stores/mysql/index.js';
import { sleep, uniqueName, MYSQL_URL } from '../support/env.js';
import type { HarnessOptions, StoreHarness } from './harness.js';
import { storeContract } from './contract.js';
import { queriesContract } from './queries-contract.js';


/** A small pool on `database` (default: the URL's); idle connections close after a few seconds. */
function mysqlPool(database?: string, extra: mysql.PoolOptions = {}): mysql.Pool {
  const url = new URL(MYSQL_URL);
  if (database) url.pathname = `/${database}`;
  return mysql.createPool({ uri: url.toString(), connectionLimit: 3, maxIdle: 1, idleTimeout: 3000, ...extra });
}

/** Each store gets its own database, dropped at the end; every pool is ended. */
function mysqlHarness(claimMode: MysqlClaimMode): StoreHarness {
  const pools: mysql.Pool[] = [];
  const databases: string[] = [];
  const admin = mysqlPool();
  const newPool = (database: string) => {
    const pool = mysqlPool(database);
    pools.push(pool);
    return pool;
  };
  return {
    name: `mysql (MariaDB, ${claimMode} claims)`,
    sql: true,
    debounceWaitsForHeldClaims: claimMode === 'lock',
    async create(options: HarnessOptions = {}) {
      const database = uniqueName('txbox');
      await admin.query(`CREATE DATABASE \`${database}\``);
      databases.push(database);
      const make = (pool: mysql.Pool) => createMysqlStore({ pool, claimMode, ...options });
      const store = make(newPool(database));
      await store.migrate();
      const writer = newPool(database);
      const inTransaction = async (fn: (tx: mysql.PoolConnection) => unknown, commit: boolean) => {
        const conn = await writer.getConnection();
        try {
          await conn.query('START TRANSACTION');
          await fn(conn);
          await conn.query(commit ? 'COMMIT' : 'ROLLBACK');
        } catch (error) {
          await conn.query('ROLLBACK');
          throw error;
        } finally {
          conn.release();
        }
      };
      const table = options.table ?? 'txbox_outbox';
      return {
        store,
        commit: (fn) => inTransaction(fn, true),
        rollback: (fn) => inTransaction(fn, false),
        second: async () => make(newPool(database)),
        rowCount: async () => Number((await writer.query<mysql.RowDataPacket[]>(`SELECT count(*) AS n FROM \`${table}\``))[0][0]!.n),
      };
    },
    async close() {
      await Promise.all(pools.map((p) => p.end()));
      for (const database of databases) await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
      await admin.end();
    },
  };
}

storeContract(queriesContract(mysqlHarness('lease')));
storeContract(queriesContract(mysqlHarness('lock')));

describe('mysql store: setup, sessions and time', () => {
  const pools: mysql.Pool[] = [];
  const databases: string[] = [];
  const admin = mysqlPool();
  after(async () => {
    await Promise.all(pools.map((p) => p.end()));
    for (const database of databases) await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
    await admin.end();
  });
  const scratch = async (extra: mysql.PoolOptions = {}) => {
    const database = uniqueName('txbox');
    await admin.query(`CREATE DATABASE \`${database}\``);
    databases.push(database);
    const pool = mysqlPool(database, extra);
    pools.push(pool);
    return { database, pool };
  };

  it('validates options without touching the pool', () => {
    const untouchable = new Proxy({}, { get: (_, name) => (name === 'query' || name === 'getConnection' ? () => assert.fail('no I/O') : undefined) }) as MysqlPoolLike;
    createMysqlStore({ pool: untouchable, table: 'events', columns: { key: 'partition_key' } });
    assert.throws(() => createMysqlStore({ pool: {} as MysqlPoolLike }), { code: 'INVALID_OPTION', field: 'pool' });
    assert.throws(() => createMysqlStore({ pool: untouchable, queryTimeoutMs: 0 }), { code: 'INVALID_OPTION', field: 'queryTimeoutMs' });
    assert.throws(() => createMysqlStore({ pool: untouchable, claimMode: 'locks' as 'lock' }), { code: 'INVALID_OPTION', field: 'claimMode' });
    assert.equal(createMysqlStore({ pool: untouchable, claimMode: 'lock', claimTimeoutMs: 1500 }).claimTimeoutMs, 2000, 'lock mode rounds up to whole seconds');
    assert.throws(() => createMysqlStore({ pool: untouchable, columns: { dedupKey: 'pending_dedup_key' } }), { code: 'INVALID_OPTION', field: 'columns.dedupKey' });
    assert.throws(() => createMysqlStore({ pool: untouchable, table: 'bad-name' }), { code: 'INVALID_OPTION', field: 'table' });
  });

  it('migrates idempotently into the database named by `schema`', async () => {
    const { database } = await scratch();
    const store = createMysqlStore({ pool: admin, schema: database });
    await store.migrate();
    await store.migrate();
    const outbox = createOutbox({ store });
    await store.transaction((tx) => outbox.send(tx, { topic: 't', payload: 1 }));
    const [rows] = await admin.query<mysql.RowDataPacket[]>(`SELECT count(*) AS n FROM \`${database}\`.txbox_outbox`);
    assert.equal(Number(rows[0]!.n), 1);
    assert.doesNotMatch(store.schemaSql(), /WHERE/, 'no partial index');
  });

  it('keeps times in UTC from the database clock, whatever the session and driver time zones', async () => {
    const { pool } = await scratch({ timezone: '-08:00', dateStrings: true });
    pool.on('connection', (conn) => void conn.query("SET time_zone = '+09:00'"));
    const store = createMysqlStore({ pool });
    await store.migrate();
    const outbox = createOutbox({ store });
    const before = Date.now();
    const at = new Date(before + 60_000);
    await store.transaction((tx) => outbox.send(tx, [{ topic: 't', payload: 'now' }, { topic: 't', payload: 'delay', delayMs: 400 }, { topic: 't', payload: 'at', availableAt: at }]));
    const [now] = (await store.claim({ limit: 10 }))!.messages;
    assert.equal(parsePayload(now!), 'now', 'nothing else is available yet');
    const near = (d: Date, ms: number) => Math.abs(d.getTime() - ms) < 2_000;
    assert.ok(near(now!.createdAt, before) && near(now!.availableAt, before), `created ${now!.createdAt.toISOString()}`);
    await sleep(500);
    const [delayed] = (await store.claim({ limit: 10 }))!.messages;
    assert.equal(parsePayload(delayed!), 'delay');
    assert.ok(near(delayed!.availableAt, delayed!.createdAt.getTime() + 400));
    const [rows] = await pool.query<mysql.RowDataPacket[]>(`SELECT DATE_FORMAT(available_at, '%Y-%m-%dT%H:%i:%s.%fZ') AS at FROM txbox_outbox WHERE lease_token IS NULL`);
    assert.equal(new Date(String(rows[0]!.at)).getTime(), at.getTime(), 'an explicit instant is stored exactly');
  });

  it('leaves a pooled connection\'s session as it found it after a claim', async () => {
    const { pool } = await scratch({ connectionLimit: 1 });
    const store = createMysqlStore({ pool });
    await store.migrate();
    const [[before]] = await pool.query<mysql.RowDataPacket[]>('SELECT @@SESSION.wait_timeout AS w, @@SESSION.tx_isolation AS i');
    await store.claim({ limit: 10 });
    const [[after]] = await pool.query<mysql.RowDataPacket[]>('SELECT @@SESSION.wait_timeout AS w, @@SESSION.tx_isolation AS i');
    assert.deepEqual(after, before);
  });
});
