import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import Database from 'better-sqlite3';
import pg from 'pg';
import postgres from 'postgres';
import { createOutbox, createRelay, OUTBOX_SCHEMA_VERSION, PermanentFailure, type OutboxStore } from '../../src/core/index.js';
import { createMysqlStore } from '../../src/stores/mysql/index.js';
import { createPgliteStore } from '../../src/stores/pglite/index.js';
import { createPostgresStore } from '../../src/stores/postgres/index.js';
import { createPostgresJsStore } from '../../src/stores/postgresjs/index.js';
import { createSqliteStore } from '../../src/stores/sqlite/index.js';
import { createRecordingProducer } from '../../src/testing/index.js';
import { eventually, PG_URL, uniqueName } from '../support/env.js';
import { mysqlTestDatabases } from '../support/mysql.js';
import { mysqlV1, postgresV1, sqliteV1 } from '../support/schema-v1.js';

/**
 * A version-1 outbox table, made with version 1's DDL (`recorded`: with the registry row version 1
 * wrote; else none, as txbox 0.1 left it), a store of today on it, and raw SQL beside it.
 */
interface V1Table {
  store: OutboxStore & { transaction<T>(fn: (tx: never) => Promise<T> | T): Promise<T> | T };
  /** SQL on the table, `{table}` standing for its quoted name. */
  exec(sql: string): Promise<unknown>;
  count(): Promise<number>;
}

const dir = mkdtempSync(join(tmpdir(), 'txbox-upgrade-'));
const cleanups: (() => Promise<unknown>)[] = [];
const mysqlDbs = mysqlTestDatabases();
after(async () => {
  for (const c of cleanups) await c();
  await mysqlDbs.dropAll();
  rmSync(dir, { recursive: true, force: true });
});

const pgSchema = (admin: { query: (sql: string) => Promise<unknown> }) => {
  const schema = uniqueName('v1');
  cleanups.unshift(() => admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
  return schema;
};

const tables: Record<string, (recorded: boolean) => Promise<V1Table>> = {
  async postgres(recorded) {
    const pool = new pg.Pool({ connectionString: PG_URL, max: 3 });
    cleanups.push(() => pool.end());
    const schema = pgSchema(pool);
    await pool.query(postgresV1(schema, 'txbox_outbox', recorded));
    const t = `"${schema}".txbox_outbox`;
    return {
      store: createPostgresStore({ pool, schema }) as V1Table['store'],
      exec: (sql) => pool.query(sql.replaceAll('{table}', t)),
      count: async () => Number((await pool.query(`SELECT count(*) AS n FROM ${t}`)).rows[0].n),
    };
  },
  async 'postgres.js'(recorded) {
    const sql = postgres(PG_URL, { max: 3, onnotice: () => {} });
    cleanups.push(() => sql.end());
    const schema = pgSchema({ query: (q) => sql.unsafe(q) });
    await sql.unsafe(postgresV1(schema, 'txbox_outbox', recorded));
    const t = `"${schema}".txbox_outbox`;
    return {
      store: createPostgresJsStore({ sql, schema }) as unknown as V1Table['store'],
      exec: (q) => sql.unsafe(q.replaceAll('{table}', t)),
      count: async () => Number((await sql.unsafe(`SELECT count(*) AS n FROM ${t}`))[0]!.n),
    };
  },
  async pglite(recorded) {
    const db = new PGlite();
    cleanups.push(() => db.close());
    await db.exec(postgresV1('app', 'txbox_outbox', recorded));
    const t = `"app".txbox_outbox`;
    return {
      store: createPgliteStore({ db, schema: 'app' }) as V1Table['store'],
      exec: (sql) => db.exec(sql.replaceAll('{table}', t)),
      count: async () => Number((await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${t}`)).rows[0]!.n),
    };
  },
  async sqlite(recorded) {
    const db = new Database(join(dir, `${uniqueName('s')}.db`));
    cleanups.push(async () => db.close());
    db.exec(sqliteV1('txbox_outbox', recorded));
    return {
      store: createSqliteStore({ db }) as unknown as V1Table['store'],
      exec: async (sql) => db.exec(sql.replaceAll('{table}', 'txbox_outbox')),
      count: async () => (db.prepare('SELECT count(*) AS n FROM txbox_outbox').get() as { n: number }).n,
    };
  },
  async mysql(recorded) {
    const { pool } = await mysqlDbs.create();
    for (const statement of mysqlV1('txbox_outbox', recorded)) await pool.query(statement);
    return {
      store: createMysqlStore({ pool }) as V1Table['store'],
      exec: (sql) => pool.query(sql.replaceAll('{table}', 'txbox_outbox')),
      count: async () => Number(((await pool.query('SELECT count(*) AS n FROM txbox_outbox')) as unknown as [{ n: number }[]])[0][0]!.n),
    };
  },
};

const N = 30;

for (const [name, make] of Object.entries(tables)) {
  for (const recorded of [false, true]) {
    describe(`upgrade from version 1 (${recorded ? 'version 1 recorded' : 'no version recorded'}) on ${name}`, { timeout: 60_000 }, () => {
      it('adds the attempt history in place: nothing lost, status current, a relay drains it and records failures', async () => {
        const v1 = await make(recorded);
        const { store } = v1;
        const outbox = createOutbox({ store });
        // Written before the upgrade, as version 1 wrote them (today's INSERT names no new column).
        // better-sqlite3's transactions are synchronous: sendSync there.
        const send = async (inputs: Parameters<typeof outbox.send>[1]) => store.transaction((tx: never) => (name === 'sqlite' ? outbox.sendSync(tx, inputs) : outbox.send(tx, inputs)));
        await send(Array.from({ length: N }, (_, i) => ({ topic: 'orders', key: `k${i % 3}`, payload: { i } })));
        await send({ topic: 'poison', key: 'p', payload: 'never goes', id: '0190a8b2-0000-7000-8000-0000000000aa' });
        // A dead letter version 1 left: attempts and last error, no history.
        await send({ topic: 'old-dead', payload: 'died before the upgrade', id: '0190a8b2-0000-7000-8000-0000000000bb' });
        await v1.exec(`UPDATE {table} SET attempts = 3, last_error = 'HTTP 503 before the upgrade', dead_at = available_at WHERE topic = 'old-dead'`);

        const before = await store.schemaStatus!();
        assert.deepEqual([before.state, before.found, before.missingColumns], ['behind', recorded ? 1 : null, ['attempt_history']]);
        await store.migrate();
        await store.migrate(); // idempotent
        const status = await store.schemaStatus!();
        assert.deepEqual({ state: status.state, found: status.found, ok: status.ok, missing: status.missingColumns }, { state: 'current', found: OUTBOX_SCHEMA_VERSION, ok: true, missing: [] });
        assert.equal(await v1.count(), N + 2, 'every row kept');

        const oldDead = (await store.query!.get('0190a8b2-0000-7000-8000-0000000000bb'))!;
        assert.deepEqual([oldDead.state, oldDead.attempts, oldDead.lastError, oldDead.history], ['dead', 3, 'HTTP 503 before the upgrade', []]);
        assert.equal(await store.query!.redrive({ topic: 'old-dead' }), 1);

        const producer = createRecordingProducer({ failWhen: (m) => (m.topic === 'poison' ? (m.attempts < 2 ? new Error(`try ${m.attempts + 1}: 503`) : new PermanentFailure('schema v2 unknown')) : undefined) });
        const relay = createRelay({ store, producer, pollIntervalMs: 20, owner: 'upgrade-relay', retry: { initialMs: 10, maxMs: 10, jitter: 0 }, logger: false });
        relay.start();
        try {
          await eventually(async () => producer.messages.length >= N + 1 && (await store.query!.get('0190a8b2-0000-7000-8000-0000000000aa'))?.state === 'dead', 20_000, 'the drain and the poison message dead');
        } finally {
          await relay.stop();
        }
        assert.deepEqual(new Set(producer.messages.map((m) => m.topic)), new Set(['orders', 'old-dead']));
        assert.equal(new Set(producer.messages.map((m) => m.id)).size, N + 1, 'each message once');
        const poison = (await store.query!.get('0190a8b2-0000-7000-8000-0000000000aa'))!;
        assert.deepEqual(
          poison.history.map((h) => [h.attempt, h.error, h.relay]),
          [[1, 'try 1: 503', 'upgrade-relay'], [2, 'try 2: 503', 'upgrade-relay'], [3, 'schema v2 unknown', 'upgrade-relay']],
        );
        assert.ok(poison.history.every((h, i) => i === 0 || h.at >= poison.history[i - 1]!.at), 'oldest first');
        assert.ok(Math.abs(poison.history[2]!.at.getTime() - poison.deadAt!.getTime()) < 1000, 'the last attempt is when it died');
      });
    });
  }
}
