/**
 * `send(pool, …)` instead of `send(client, …)` used to work: each statement committed on its
 * own, outside the caller's transaction, so a message existed even when the caller's
 * transaction rolled back (guarantee 1). Every store now refuses a handle with no transaction.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import Database from 'better-sqlite3';
import pg from 'pg';
import { createInbox, createOutbox } from '../../src/core/index.js';
import { createMysqlInbox, createMysqlStore } from '../../src/stores/mysql/index.js';
import { createPgliteStore } from '../../src/stores/pglite/index.js';
import { createPostgresInbox, createPostgresStore } from '../../src/stores/postgres/index.js';
import { createSqliteInbox, createSqliteStore } from '../../src/stores/sqlite/index.js';
import { PG_URL, uniqueName } from '../support/env.js';
import { mysqlTestDatabases } from '../support/mysql.js';

const refused = { code: 'INVALID_ARGUMENT', field: 'tx' };
const message = { topic: 't', payload: 1 };

describe('a handle with no transaction is refused, and nothing is written', () => {
  const pool = new pg.Pool({ connectionString: PG_URL, max: 2 });
  const table = uniqueName('handles');
  const dbs = mysqlTestDatabases();
  after(async () => {
    await pool.query(`DROP TABLE IF EXISTS "${table}"; DROP TABLE IF EXISTS "${table}_inbox"`);
    await pool.end();
    await dbs.dropAll();
  });

  it('postgres: a pg Pool', async () => {
    const store = createPostgresStore({ pool, table });
    await store.migrate();
    await assert.rejects(createOutbox({ store }).send(pool as never, message), refused);
    // Another pool than the store's is refused too (the test is structural, not by identity).
    const other = new pg.Pool({ connectionString: PG_URL, max: 1 });
    await assert.rejects(createOutbox({ store }).send(other as never, message), refused);
    await other.end();
    assert.equal((await pool.query(`SELECT count(*)::int AS n FROM "${table}"`)).rows[0].n, 0);
    const inboxStore = createPostgresInbox({ pool, table: `${table}_inbox` });
    await inboxStore.migrate();
    const effects: string[] = [];
    await assert.rejects(createInbox({ store: inboxStore }).handleOnce(pool as never, { consumer: 'c', messageId: 'm' }, () => void effects.push('x')), refused);
    assert.deepEqual(effects, []);
    assert.equal((await pool.query(`SELECT count(*)::int AS n FROM "${table}_inbox"`)).rows[0].n, 0);
  });

  it('pglite: the instance outside a transaction (a BEGIN by hand is a transaction)', async () => {
    const db = new PGlite();
    const store = createPgliteStore({ db });
    await store.migrate();
    const outbox = createOutbox({ store });
    await assert.rejects(outbox.send(db, message), refused);
    assert.equal((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM txbox_outbox')).rows[0]!.n, 0);
    await db.query('BEGIN');
    await outbox.send(db, message);
    await db.query('ROLLBACK');
    await store.transaction((tx) => outbox.send(tx, message));
    assert.equal((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM txbox_outbox')).rows[0]!.n, 1);
    await db.close();
  });

  it('mysql: a mysql2 pool', async () => {
    const { pool: mysqlPool } = await dbs.create();
    const store = createMysqlStore({ pool: mysqlPool });
    await store.migrate();
    await assert.rejects(createOutbox({ store }).send(mysqlPool as never, message), refused);
    const [[row]] = (await mysqlPool.query('SELECT count(*) AS n FROM txbox_outbox')) as [{ n: number }[], unknown];
    assert.equal(Number(row!.n), 0);
    const inboxStore = createMysqlInbox({ pool: mysqlPool });
    await inboxStore.migrate();
    await assert.rejects(createInbox({ store: inboxStore }).handleOnce(mysqlPool as never, { consumer: 'c', messageId: 'm' }, () => 1), refused);
    const [[inboxRow]] = (await mysqlPool.query('SELECT count(*) AS n FROM txbox_inbox')) as [{ n: number }[], unknown];
    assert.equal(Number(inboxRow!.n), 0);
  });

  it('sqlite: the database outside a transaction', async () => {
    const db = new Database(':memory:');
    const store = createSqliteStore({ db });
    await store.migrate();
    const outbox = createOutbox({ store });
    assert.throws(() => outbox.sendSync(db, message), refused);
    await assert.rejects(outbox.send(db, message), refused);
    assert.equal((db.prepare('SELECT count(*) AS n FROM txbox_outbox').get() as { n: number }).n, 0);
    store.transaction((tx) => outbox.sendSync(tx, message));
    db.transaction(() => outbox.sendSync(db, message))();
    assert.equal((db.prepare('SELECT count(*) AS n FROM txbox_outbox').get() as { n: number }).n, 2);
    const inboxStore = createSqliteInbox({ db });
    await inboxStore.migrate();
    assert.throws(() => createInbox({ store: inboxStore }).handleOnceSync(db, { consumer: 'c', messageId: 'm' }, () => 1), refused);
    assert.equal((db.prepare('SELECT count(*) AS n FROM txbox_inbox').get() as { n: number }).n, 0);
  });
});
