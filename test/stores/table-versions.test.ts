/**
 * The inbox and schedules tables are versioned in the `txbox_schema` registry as the outbox is,
 * on every store that has them: migrate() records the version, schemaStatus() reports it (and
 * drifted columns, indexes and types), and a version from the future is refused.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import { metrics } from '@opentelemetry/api';
import Database from 'better-sqlite3';
import pg from 'pg';
import { INBOX_SCHEMA_VERSION, SCHEDULES_SCHEMA_VERSION, type InboxStore, type SchemaStatus } from '../../src/core/index.js';
import type { ScheduleStore } from '../../src/core/schedule-store.js';
import { createMysqlInbox, createMysqlSchedules } from '../../src/stores/mysql/index.js';
import { createPgliteInbox, createPgliteSchedules } from '../../src/stores/pglite/index.js';
import { createPostgresInbox, createPostgresSchedules } from '../../src/stores/postgres/index.js';
import { createSqliteInbox, createSqliteSchedules } from '../../src/stores/sqlite/index.js';
import { createOtelInstrumentation } from '../../src/opentelemetry/index.js';
import { PG_URL, uniqueName } from '../support/env.js';
import { mysqlTestDatabases } from '../support/mysql.js';
import { retypeSqliteColumn } from '../support/sqlite-retype.js';

type Kind = 'inbox' | 'schedules';

/** One database, and what differs between dialects for these tests. */
interface Place {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  open(kind: Kind, table: string): InboxStore<any> | ScheduleStore<any>;
  exec(sql: string): Promise<unknown>;
  count(table: string): Promise<number>;
  /** The table as named in SQL (and in the status). */
  qualified(table: string): string;
  registry: string;
  /** An INSERT of one row, as the application would have written it. */
  seed: Record<Kind, (table: string) => string>;
  retype(table: string, column: string, type: string): Promise<void>;
  /** A column to retype, its type as the catalog names it, and the type it is changed to. */
  drift: Record<Kind, { column: string; expected: string; to: string }>;
}

const VERSION: Record<Kind, number> = { inbox: INBOX_SCHEMA_VERSION, schedules: SCHEDULES_SCHEMA_VERSION };
const dir = mkdtempSync(join(tmpdir(), 'txbox-versions-'));
const closers: (() => Promise<unknown>)[] = [];
const mysqlDbs = mysqlTestDatabases();
let pglite: PGlite | undefined;
after(async () => {
  for (const close of closers) await close();
  await pglite?.close();
  await mysqlDbs.dropAll();
  rmSync(dir, { recursive: true, force: true });
});

const pgSeed: Place['seed'] = {
  inbox: (t) => `INSERT INTO ${t} (consumer, message_id) VALUES ('billing', 'm-1')`,
  schedules: (t) => `INSERT INTO ${t} (name, cron, topic, payload, next_run_at) VALUES ('nightly', '0 3 * * *', 'report', '{}', now())`,
};
const pgDrift: Place['drift'] = {
  inbox: { column: 'received_at', expected: 'timestamp with time zone', to: 'text' },
  schedules: { column: 'next_run_at', expected: 'timestamp with time zone', to: 'text' },
};

const places: Record<string, () => Promise<Place>> = {
  async postgres() {
    const schema = uniqueName('versions');
    const pool = new pg.Pool({ connectionString: PG_URL, max: 3 });
    closers.push(async () => {
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await pool.end();
    });
    const qualified = (t: string) => `"${schema}"."${t}"`;
    return {
      open: (kind, table) => (kind === 'inbox' ? createPostgresInbox({ pool, schema, table }) : createPostgresSchedules({ pool, schema, table })),
      exec: (sql) => pool.query(sql),
      count: async (t) => Number((await pool.query(`SELECT count(*) AS n FROM ${qualified(t)}`)).rows[0].n),
      qualified,
      registry: qualified('txbox_schema'),
      seed: pgSeed,
      retype: async (t, c, type) => void (await pool.query(`ALTER TABLE ${qualified(t)} ALTER COLUMN ${c} TYPE ${type} USING ${c}::${type}`)),
      drift: pgDrift,
    };
  },
  async pglite() {
    // One in-process database for the file (starting one takes seconds); the tables are unique.
    pglite ??= new PGlite();
    const db = pglite;
    const qualified = (t: string) => `"${t}"`;
    return {
      open: (kind, table) => (kind === 'inbox' ? createPgliteInbox({ db, table }) : createPgliteSchedules({ db, table })),
      exec: (sql) => db.exec(sql),
      count: async (t) => Number((await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${qualified(t)}`)).rows[0]!.n),
      qualified,
      registry: qualified('txbox_schema'),
      seed: pgSeed,
      retype: async (t, c, type) => void (await db.exec(`ALTER TABLE ${qualified(t)} ALTER COLUMN ${c} TYPE ${type} USING ${c}::${type}`)),
      drift: pgDrift,
    };
  },
  async sqlite() {
    const db = new Database(join(dir, `${uniqueName('v')}.db`));
    closers.push(async () => db.close());
    const qualified = (t: string) => `"${t}"`;
    return {
      open: (kind, table) => (kind === 'inbox' ? createSqliteInbox({ db, table }) : createSqliteSchedules({ db, table })),
      exec: async (sql) => db.exec(sql),
      count: async (t) => Number((db.prepare(`SELECT count(*) AS n FROM ${qualified(t)}`).get() as { n: number }).n),
      qualified,
      registry: qualified('txbox_schema'),
      seed: {
        inbox: (t) => `INSERT INTO ${t} (consumer, message_id, received_at) VALUES ('billing', 'm-1', 0)`,
        schedules: (t) => `INSERT INTO ${t} (name, cron, topic, payload, next_run_at) VALUES ('nightly', '0 3 * * *', 'report', '{}', 0)`,
      },
      retype: async (t, c, type) => retypeSqliteColumn(db, t, c, type),
      drift: {
        inbox: { column: 'received_at', expected: 'integer', to: 'TEXT' },
        schedules: { column: 'next_run_at', expected: 'integer', to: 'TEXT' },
      },
    };
  },
  async mysql() {
    const { pool } = await mysqlDbs.create();
    const qualified = (t: string) => `\`${t}\``;
    return {
      open: (kind, table) => (kind === 'inbox' ? createMysqlInbox({ pool, table }) : createMysqlSchedules({ pool, table })),
      exec: (sql) => pool.query(sql),
      count: async (t) => Number(((await pool.query(`SELECT count(*) AS n FROM ${qualified(t)}`)) as unknown as [{ n: number }[]])[0][0]!.n),
      qualified,
      registry: qualified('txbox_schema'),
      seed: {
        inbox: (t) => `INSERT INTO ${t} (consumer, message_id, received_at) VALUES ('billing', 'm-1', UTC_TIMESTAMP(6))`,
        schedules: (t) => `INSERT INTO ${t} (name, cron, topic, payload, next_run_at, updated_at) VALUES ('nightly', '0 3 * * *', 'report', '{}', UTC_TIMESTAMP(3), UTC_TIMESTAMP(6))`,
      },
      retype: async (t, c, type) => void (await pool.query(`ALTER TABLE ${qualified(t)} MODIFY ${c} ${type} NULL`)),
      drift: {
        inbox: { column: 'received_at', expected: 'datetime(6)', to: 'text' },
        schedules: { column: 'next_run_at', expected: 'datetime(3)', to: 'text' },
      },
    };
  },
};

const statusOf = (store: { schemaStatus?: () => Promise<SchemaStatus> }) => store.schemaStatus!();

for (const [name, make] of Object.entries(places)) {
  for (const kind of ['inbox', 'schedules'] as const) {
    describe(`the ${kind} table's schema version on ${name}`, { timeout: 60_000 }, () => {
      it('migrate() records the version (idempotent); status is current with nothing missing', async () => {
        const p = await make();
        const table = uniqueName(kind);
        const store = p.open(kind, table);
        const missing = await statusOf(store);
        assert.equal(missing.state, 'missing');
        assert.equal(missing.kind, kind);
        await store.migrate();
        await store.migrate();
        const status = await statusOf(store);
        assert.deepEqual(
          { kind: status.kind, table: status.table, state: status.state, found: status.found, expected: status.expected, ok: status.ok },
          { kind, table: p.qualified(table), state: 'current', found: VERSION[kind], expected: VERSION[kind], ok: true },
        );
        assert.deepEqual([status.missingColumns, status.missingIndexes, status.wrongTypes], [[], [], []]);
        assert.match(store.schemaSql(), /txbox_schema/, 'the script records the version too');
        if (kind === 'inbox') {
          const instrumented = createOtelInstrumentation({ meterProvider: metrics.getMeterProvider() }).instrumentInboxStore(store as InboxStore);
          assert.deepEqual(await statusOf(instrumented), status, 'the instrumented inbox reports the same status');
        }
      });

      it('a table made before versions were recorded is behind; migrate() records it and keeps its rows', async () => {
        const p = await make();
        const table = uniqueName(kind);
        const store = p.open(kind, table);
        await store.migrate();
        await p.exec(p.seed[kind](p.qualified(table)));
        await p.exec(`DELETE FROM ${p.registry} WHERE table_name = '${table}'`);
        const before = await statusOf(store);
        assert.deepEqual({ state: before.state, found: before.found, drift: before.drift }, { state: 'behind', found: null, drift: false });
        await store.migrate();
        assert.equal((await statusOf(store)).state, 'current');
        assert.equal(await p.count(table), 1);
      });

      it('refuses a version from the future with SCHEMA_TOO_NEW naming the table and both versions; status says ahead', async () => {
        const p = await make();
        const table = uniqueName(kind);
        const store = p.open(kind, table);
        await store.migrate();
        await p.exec(`UPDATE ${p.registry} SET version = 42 WHERE table_name = '${table}'`);
        await assert.rejects(store.migrate(), (e: { code?: string; message?: string }) => {
          assert.equal(e.code, 'SCHEMA_TOO_NEW');
          assert.ok(e.message!.includes(table), e.message);
          assert.match(e.message!, new RegExp(`version 42, newer than the ${VERSION[kind]} this txbox knows`));
          return true;
        });
        const status = await statusOf(store);
        assert.deepEqual({ state: status.state, found: status.found, ok: status.ok }, { state: 'ahead', found: 42, ok: false });
      });

      it('reports a column whose type changed, naming it with the expected and found types', async () => {
        const p = await make();
        const table = uniqueName(kind);
        const store = p.open(kind, table);
        await store.migrate();
        const { column, expected, to } = p.drift[kind];
        await p.retype(table, column, to);
        const status = await statusOf(store);
        assert.deepEqual(status.wrongTypes, [{ column, expected, found: to.toLowerCase() }]);
        assert.equal(status.drift, true);
        assert.equal(status.ok, false);
      });
    });
  }
}
