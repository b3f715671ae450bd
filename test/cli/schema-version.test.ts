import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { createOutbox, createRelay, OUTBOX_SCHEMA_VERSION, type OutboxStore } from '../../src/core/index.js';
import { createMysqlStore } from '../../src/stores/mysql/index.js';
import { createPostgresStore } from '../../src/stores/postgres/index.js';
import { createSqliteStore } from '../../src/stores/sqlite/index.js';
import { mysqlV1, postgresV1, sqliteV1 } from '../support/schema-v1.js';
import { createRecordingProducer } from '../../src/testing/index.js';
import { eventually, PG_URL, uniqueName } from '../support/env.js';
import { mysqlTestDatabases } from '../support/mysql.js';
import { retypeSqliteColumn } from '../support/sqlite-retype.js';

/** One database per case, holding a table made with txbox 0.1's DDL (no version recorded). */
interface Case {
  store: OutboxStore;
  /** Runs SQL that returns nothing (or rows). */
  exec(sql: string): Promise<unknown>;
  /** Sends `n` messages in one transaction through the store, as an application would. */
  fill(n: number): Promise<void>;
  count(): Promise<number>;
  registry: string;
  /** Changes two columns' types as a hand-made migration would; answers the drift expected. */
  retype(): Promise<{ column: string; expected: string; found: string }[]>;
}

const N = 25;
const dir = mkdtempSync(join(tmpdir(), 'txbox-schema-'));
const pools: pg.Pool[] = [];
const pgSchemas: string[] = [];
const sqliteDbs: Database.Database[] = [];
const mysqlDbs = mysqlTestDatabases();

after(async () => {
  const admin = new pg.Pool({ connectionString: PG_URL, max: 1 });
  for (const s of pgSchemas) await admin.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  await admin.end();
  await Promise.all(pools.map((p) => p.end()));
  await mysqlDbs.dropAll();
  sqliteDbs.forEach((db) => db.close());
  rmSync(dir, { recursive: true, force: true });
});

const cases: Record<string, () => Promise<Case>> = {
  async postgres() {
    const schema = uniqueName('schema');
    pgSchemas.push(schema);
    const pool = new pg.Pool({ connectionString: PG_URL, max: 3 });
    pools.push(pool);
    // A 0.1 table: version 1's DDL, with no version recorded.
    await pool.query(postgresV1(schema));
    const store = createPostgresStore({ pool, schema });
    const outbox = createOutbox({ store });
    return {
      store,
      exec: (sql) => pool.query(sql),
      fill: (n) => store.transaction((tx) => outbox.send(tx, Array.from({ length: n }, (_, i) => ({ topic: 't', key: `k${i % 3}`, payload: { i } })))).then(() => {}),
      count: async () => Number((await pool.query(`SELECT count(*) AS n FROM "${schema}".txbox_outbox`)).rows[0].n),
      registry: `"${schema}".txbox_schema`,
      async retype() {
        await pool.query(`ALTER TABLE "${schema}".txbox_outbox ALTER COLUMN payload TYPE text USING encode(payload, 'escape'), ALTER COLUMN position TYPE integer`);
        return [{ column: 'payload', expected: 'bytea', found: 'text' }, { column: 'position', expected: 'bigint', found: 'integer' }];
      },
    };
  },
  async mysql() {
    const { pool } = await mysqlDbs.create();
    for (const statement of mysqlV1()) await pool.query(statement);
    const store = createMysqlStore({ pool });
    const outbox = createOutbox({ store });
    return {
      store,
      exec: (sql) => pool.query(sql),
      fill: (n) => store.transaction((tx) => outbox.send(tx, Array.from({ length: n }, (_, i) => ({ topic: 't', key: `k${i % 3}`, payload: { i } })))).then(() => {}),
      count: async () => Number(((await pool.query('SELECT count(*) AS n FROM txbox_outbox')) as any)[0][0].n),
      registry: 'txbox_schema',
      async retype() {
        await pool.query('ALTER TABLE txbox_outbox MODIFY payload TEXT NOT NULL, MODIFY position INT NOT NULL AUTO_INCREMENT');
        return [{ column: 'payload', expected: 'longblob', found: 'text' }, { column: 'position', expected: 'bigint unsigned', found: 'int' }];
      },
    };
  },
  async sqlite() {
    const db = new Database(join(dir, `${uniqueName('s')}.db`));
    sqliteDbs.push(db);
    db.exec(sqliteV1());
    const store = createSqliteStore({ db });
    const outbox = createOutbox({ store });
    return {
      store,
      exec: async (sql) => db.exec(sql),
      fill: async (n) => void store.transaction((tx) => outbox.sendSync!(tx, Array.from({ length: n }, (_, i) => ({ topic: 't', key: `k${i % 3}`, payload: { i } })))),
      count: async () => Number((db.prepare('SELECT count(*) AS n FROM txbox_outbox').get() as { n: number }).n),
      registry: 'txbox_schema',
      // SQLite's AUTOINCREMENT needs an INTEGER key, so the position cannot become an int.
      async retype() {
        retypeSqliteColumn(db, 'txbox_outbox', 'payload', 'TEXT');
        retypeSqliteColumn(db, 'txbox_outbox', 'attempts', 'TEXT');
        return [{ column: 'attempts', expected: 'integer', found: 'text' }, { column: 'payload', expected: 'blob', found: 'text' }];
      },
    };
  },
};

for (const [name, make] of Object.entries(cases)) {
  describe(`versioned schema on ${name}`, { timeout: 60_000 }, () => {
    it('upgrades a 0.1 table (no version recorded): nothing lost, version recorded, a relay drains it', async () => {
      const c = await make();
      await c.fill(N);
      const before = await c.store.schemaStatus!();
      assert.equal(before.state, 'behind');
      assert.equal(before.found, null);
      assert.deepEqual([before.missingColumns, before.missingIndexes], [['attempt_history'], []], 'what version 2 adds');
      await c.store.migrate();
      await c.store.migrate(); // idempotent
      const status = await c.store.schemaStatus!();
      assert.deepEqual({ state: status.state, found: status.found, ok: status.ok }, { state: 'current', found: OUTBOX_SCHEMA_VERSION, ok: true });
      assert.equal(await c.count(), N);
      const producer = createRecordingProducer();
      const relay = createRelay({ store: c.store, producer, pollIntervalMs: 20 });
      relay.start();
      try {
        await eventually(() => producer.messages.length >= N, 10_000, 'the relay to drain the upgraded table');
      } finally {
        await relay.stop();
      }
      assert.equal(new Set(producer.messages.map((m) => m.id)).size, N);
    });

    it('refuses a table a newer txbox made (SCHEMA_TOO_NEW naming table and versions), changing nothing', async () => {
      const c = await make();
      await c.store.migrate();
      await c.exec(`UPDATE ${c.registry} SET version = 99`);
      await c.exec(`DROP INDEX ${name === 'mysql' ? '`txbox_key` ON txbox_outbox' : name === 'postgres' ? `${c.registry.split('.')[0]}."txbox_outbox_key"` : '"txbox_outbox_key"'}`);
      await assert.rejects(c.store.migrate(), (e: any) => {
        assert.equal(e.code, 'SCHEMA_TOO_NEW');
        assert.match(e.message, /txbox_outbox/);
        assert.match(e.message, /version 99/);
        assert.match(e.message, new RegExp(`the ${OUTBOX_SCHEMA_VERSION} this txbox knows`));
        return true;
      });
      const status = await c.store.schemaStatus!();
      assert.equal(status.state, 'ahead');
      assert.equal(status.found, 99);
      assert.deepEqual(status.missingIndexes, ['txbox_' + (name === 'mysql' ? 'key' : 'outbox_key')], 'the refused migrate did not recreate the index');
    });

    it('reports a dropped column as drift, by name', async () => {
      const c = await make();
      await c.store.migrate();
      await c.exec(`ALTER TABLE ${c.registry.replace('txbox_schema', 'txbox_outbox')} DROP COLUMN last_error`);
      const status = await c.store.schemaStatus!();
      assert.equal(status.drift, true);
      assert.equal(status.ok, false);
      assert.deepEqual(status.missingColumns, ['last_error']);
    });

    it('reports columns whose type changed as drift, naming each with the expected and found types', async () => {
      const c = await make();
      await c.store.migrate();
      await c.fill(3);
      const expected = await c.retype();
      const status = await c.store.schemaStatus!();
      const byColumn = (a: { column: string }, b: { column: string }) => a.column.localeCompare(b.column);
      assert.deepEqual([...status.wrongTypes].sort(byColumn), expected.sort(byColumn));
      assert.deepEqual(status.missingColumns, []);
      assert.equal(status.drift, true);
      assert.equal(status.ok, false);
    });
  });
}
