/**
 * Without `migrate()` a write failed with the driver's raw "relation does not exist" (42P01),
 * ER_NO_SUCH_TABLE or "no such table". It is now a SCHEMA_MISSING TxboxError that says what to run.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { createInbox, createOutbox } from '../../src/core/index.js';
import { createMysqlInbox, createMysqlStore } from '../../src/stores/mysql/index.js';
import { createPostgresInbox, createPostgresStore } from '../../src/stores/postgres/index.js';
import { createSqliteInbox, createSqliteStore } from '../../src/stores/sqlite/index.js';
import { PG_URL, uniqueName } from '../support/env.js';
import { mysqlTestDatabases } from '../support/mysql.js';

const missing = (what: string) => ({ code: 'SCHEMA_MISSING', message: new RegExp(`${what} table does not exist: run store\\.migrate\\(\\).*schemaSql\\(\\)`) });
const message = { topic: 't', payload: 1 };
const ids = { consumer: 'c', messageId: 'm' };

describe('writing before migrate()', () => {
  const pool = new pg.Pool({ connectionString: PG_URL, max: 2 });
  const dbs = mysqlTestDatabases();
  after(async () => {
    await pool.end();
    await dbs.dropAll();
  });

  it('postgres', async () => {
    const store = createPostgresStore({ pool, table: uniqueName('never') });
    await assert.rejects(store.transaction((tx) => createOutbox({ store }).send(tx, message)), missing('outbox'));
    const inbox = createInbox({ store: createPostgresInbox({ pool, table: uniqueName('never') }) });
    await assert.rejects(store.transaction((tx) => inbox.handleOnce(tx, ids, () => 1)), missing('inbox'));
  });

  it('mysql', async () => {
    const { pool: mysqlPool } = await dbs.create();
    const store = createMysqlStore({ pool: mysqlPool });
    await assert.rejects(store.transaction((tx) => createOutbox({ store }).send(tx, message)), missing('outbox'));
    const inbox = createInbox({ store: createMysqlInbox({ pool: mysqlPool }) });
    await assert.rejects(store.transaction((tx) => inbox.handleOnce(tx, ids, () => 1)), missing('inbox'));
  });

  it('sqlite', () => {
    const db = new Database(':memory:');
    const store = createSqliteStore({ db });
    assert.throws(() => store.transaction((tx) => createOutbox({ store }).sendSync(tx, message)), missing('outbox'));
    const inbox = createInbox({ store: createSqliteInbox({ db }) });
    assert.throws(() => store.transaction((tx) => inbox.handleOnceSync(tx, ids, () => 1)), missing('inbox'));
  });
});
