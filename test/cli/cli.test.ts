import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { createOutbox, OUTBOX_SCHEMA_VERSION } from '../../src/core/index.js';
import { createSqliteStore } from '../../src/stores/sqlite/index.js';
import { MYSQL_URL, PG_URL, uniqueName } from '../support/env.js';
import { retypeSqliteColumn } from '../support/sqlite-retype.js';
import { runCli } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'txbox-cli-'));
const admin = new pg.Pool({ connectionString: PG_URL, max: 1 });
const mysqlAdmin = mysql.createPool({ uri: MYSQL_URL, connectionLimit: 1 });
const pgSchemas: string[] = [];
const mysqlDbs: string[] = [];

after(async () => {
  for (const s of pgSchemas) await admin.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  for (const d of mysqlDbs) await mysqlAdmin.query(`DROP DATABASE IF EXISTS \`${d}\``);
  await admin.end();
  await mysqlAdmin.end();
  rmSync(dir, { recursive: true, force: true });
});

interface Place {
  args: string[];
  sql(s: string): Promise<unknown>;
  table: string;
  /** Makes the outbox's payload column text, as a hand-made migration might; answers the type txbox made it with. */
  retypePayload(): Promise<string>;
}

/** A fresh, empty place per dialect: the URL and flags the CLI takes, and a way to run SQL there. */
const places: Record<string, () => Promise<Place>> = {
  async postgres() {
    const schema = uniqueName('cli');
    pgSchemas.push(schema);
    const table = `"${schema}".txbox_outbox`;
    return {
      args: [PG_URL, '--schema', schema],
      sql: (s) => admin.query(s),
      table,
      async retypePayload() {
        await admin.query(`ALTER TABLE ${table} ALTER COLUMN payload TYPE text USING encode(payload, 'escape')`);
        return 'bytea';
      },
    };
  },
  async mysql() {
    const db = uniqueName('cli');
    await mysqlAdmin.query(`CREATE DATABASE \`${db}\``);
    mysqlDbs.push(db);
    const url = new URL(MYSQL_URL);
    url.pathname = `/${db}`;
    const table = `\`${db}\`.txbox_outbox`;
    return {
      args: [url.toString()],
      sql: (s) => mysqlAdmin.query(s),
      table,
      async retypePayload() {
        await mysqlAdmin.query(`ALTER TABLE ${table} MODIFY payload TEXT NOT NULL`);
        return 'longblob';
      },
    };
  },
  async sqlite() {
    const file = join(dir, `${uniqueName('cli')}.db`);
    const run = async (s: string) => {
      const db = new Database(file);
      try {
        db.exec(s);
      } finally {
        db.close();
      }
    };
    const retypePayload = async () => {
      const db = new Database(file);
      try {
        retypeSqliteColumn(db, 'txbox_outbox', 'payload', 'TEXT');
      } finally {
        db.close();
      }
      return 'blob';
    };
    return { args: [`sqlite://${file}`], sql: run, table: 'txbox_outbox', retypePayload };
  },
};

for (const [dialect, place] of Object.entries(places)) {
  describe(`txbox migrate and status on ${dialect}`, { timeout: 120_000 }, () => {
    it('migrate then status exits 0; a dropped column makes status exit 3 naming it', async () => {
      const p = await place();
      const missing = await runCli(['status', ...p.args]);
      if (dialect === 'sqlite') {
        // No file is no database: status does not create one.
        assert.equal(missing.code, 1, missing.stderr);
        assert.match(missing.stderr, /cannot open the sqlite store/);
      } else {
        assert.equal(missing.code, 3, missing.stderr);
        assert.match(missing.stdout, /missing \(expected version 2, found no table\)/);
      }
      const migrated = await runCli(['migrate', ...p.args]);
      assert.equal(migrated.code, 0, migrated.stderr);
      assert.match(migrated.stdout, /schema version 2/);
      const ok = await runCli(['status', ...p.args, '--json']);
      assert.equal(ok.code, 0, ok.stderr);
      assert.deepEqual(JSON.parse(ok.stdout).tables.map((t: { kind: string; state: string }) => [t.kind, t.state]), [['outbox', 'current']]);
      assert.equal(JSON.parse(ok.stdout).ok, true);
      await p.sql(`ALTER TABLE ${p.table} DROP COLUMN last_error`);
      const drifted = await runCli(['status', ...p.args]);
      assert.equal(drifted.code, 3, drifted.stderr);
      assert.match(drifted.stdout, /missing columns: last_error/);
    });

    it('a column whose type changed makes status exit 3, naming the column, the expected and the found type', async () => {
      const p = await place();
      assert.equal((await runCli(['migrate', ...p.args])).code, 0);
      const expected = await p.retypePayload();
      const drifted = await runCli(['status', ...p.args]);
      assert.equal(drifted.code, 3, drifted.stderr);
      assert.match(drifted.stdout, new RegExp(`^  column payload: expected type ${expected}, found text$`, 'm'));
      const json = JSON.parse((await runCli(['status', ...p.args, '--json'])).stdout);
      assert.equal(json.ok, false);
      assert.deepEqual(json.tables[0].wrongTypes, [{ column: 'payload', expected, found: 'text' }]);
    });

    it('--inbox and --schedules: migrate records their versions, status checks them, a newer one is refused before anything changes', async () => {
      const p = await place();
      const all = [...p.args, '--inbox', '--schedules', 'recurring'];
      const before = await runCli(['status', ...all]);
      assert.equal(before.code, dialect === 'sqlite' ? 1 : 3, before.stderr);
      const migrated = await runCli(['migrate', ...all]);
      assert.equal(migrated.code, 0, migrated.stderr);
      assert.match(migrated.stdout, /^migrated inbox .*txbox_inbox.* to schema version 1$/m);
      assert.match(migrated.stdout, /^migrated schedules .*recurring.* to schema version 1$/m);
      const status = JSON.parse((await runCli(['status', ...all, '--json'])).stdout);
      assert.deepEqual(status.tables.map((t: { kind: string; state: string; ok: boolean }) => [t.kind, t.state, t.ok]), [['outbox', 'current', true], ['inbox', 'current', true], ['schedules', 'current', true]]);
      const registry = p.table.replace('txbox_outbox', 'txbox_schema');
      await p.sql(`UPDATE ${registry} SET version = 5 WHERE table_name = 'txbox_inbox'`);
      await p.sql(`DELETE FROM ${registry} WHERE table_name = 'txbox_outbox'`);
      const refused = await runCli(['migrate', ...all]);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /txbox_inbox.* is at schema version 5, newer than the 1 this txbox knows/);
      const after = await runCli(['status', ...all]);
      assert.equal(after.code, 3);
      assert.match(after.stdout, new RegExp(`^outbox .*: behind \\(expected version ${OUTBOX_SCHEMA_VERSION}, found no version recorded\\)$`, 'm'), 'the refused migrate recorded nothing for the outbox');
      assert.match(after.stdout, /^inbox .*: ahead/m);
    });

    it('refuses to migrate a table a newer txbox made: exit 1, the versions named', async () => {
      const p = await place();
      assert.equal((await runCli(['migrate', ...p.args])).code, 0);
      await p.sql(`UPDATE ${p.table.replace('txbox_outbox', 'txbox_schema')} SET version = 7`);
      const refused = await runCli(['migrate', ...p.args]);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /schema version 7, newer than the 2 this txbox knows/);
      const status = await runCli(['status', ...p.args]);
      assert.equal(status.code, 3);
      assert.match(status.stdout, /ahead/);
    });
  });
}

describe('txbox schema', { timeout: 60_000 }, () => {
  it('prints the DDL for a dialect and its options with no database', async () => {
    const out = await runCli(['schema', '--dialect', 'postgres', '--table', 'events_out', '--schema', 'shop']);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /CREATE TABLE IF NOT EXISTS "shop"\."events_out"/);
    assert.match(out.stdout, /CREATE TABLE IF NOT EXISTS "shop"\."txbox_schema"/);
    const my = await runCli(['schema', '--dialect', 'mariadb']);
    assert.match(my.stdout, /ENGINE=InnoDB/);
    const all = await runCli(['schema', '--dialect', 'sqlite', '--inbox', '--schedules', 'recurring']);
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, /CREATE TABLE IF NOT EXISTS "txbox_inbox"/);
    assert.match(all.stdout, /VALUES \('txbox_inbox', 1,/);
    assert.match(all.stdout, /CREATE TABLE IF NOT EXISTS "recurring"/);
    assert.match(all.stdout, /VALUES \('recurring', 1,/);
  });

  it('usage errors exit 2 and say what is wrong', async () => {
    const bad = await runCli(['schema', '--dialect', 'oracle']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--dialect: "oracle" is not one of postgres, mysql, sqlite/);
    const table = await runCli(['schema', '--dialect', 'sqlite', '--table', 'no-dashes']);
    assert.equal(table.code, 2);
    assert.match(table.stderr, /option table must be an identifier/);
    assert.equal((await runCli(['migrate'])).code, 2);
    assert.equal((await runCli(['frobnicate'])).code, 2);
    const scheme = await runCli(['status', 'redis://127.0.0.1:6379']);
    assert.equal(scheme.code, 2);
    assert.match(scheme.stderr, /unknown store scheme redis/);
  });

  it('--help works on every command', async () => {
    for (const args of [[], ['migrate'], ['status'], ['schema'], ['stats'], ['dead-letters'], ['dead-letters', 'list'], ['dead-letters', 'requeue'], ['dead-letters', 'discard'], ['relay']]) {
      const out = await runCli([...args, '--help']);
      assert.equal(out.code, 0, `${args.join(' ')} --help: ${out.stderr}`);
      assert.match(out.stdout, /Usage: txbox/);
    }
  });

  it('an unreachable database is one clear message naming the store, exit 1', async () => {
    const out = await runCli(['migrate', 'postgres://postgres@127.0.0.1:1/test']);
    assert.equal(out.code, 1);
    assert.match(out.stderr, /^txbox: store: cannot reach the postgres store postgres:\/\/postgres@127\.0\.0\.1:1\/test: .*ECONNREFUSED/m);
  });
});

describe('txbox dead-letters and stats on SQLite', { timeout: 120_000 }, () => {
  it('lists with filters and pages, requeues by filter, discards by id', async () => {
    const file = join(dir, `${uniqueName('dead')}.db`);
    const db = new Database(file);
    const store = createSqliteStore({ db });
    await store.migrate();
    const outbox = createOutbox({ store });
    const sent = store.transaction((tx) => outbox.sendSync(tx, [
      ...Array.from({ length: 3 }, (_, i) => ({ topic: 'orders', key: 'a', payload: { i } })),
      ...Array.from({ length: 2 }, (_, i) => ({ topic: 'refunds', payload: { i } })),
    ]));
    assert.equal(sent.ids.length, 5);
    // Dead letters as the relay leaves them: a dead time and the last error.
    const old = Date.now() - 3 * 3_600_000;
    db.prepare(`UPDATE txbox_outbox SET dead_at = ?, last_error = CASE WHEN topic = 'orders' THEN 'HTTP 410 Gone' ELSE 'timeout' END, attempts = 3`).run(old);
    db.close();
    const url = `sqlite://${file}`;

    const page1 = await runCli(['dead-letters', 'list', url, '--topic', 'orders', '--limit', '2', '--json']);
    assert.equal(page1.code, 0, page1.stderr);
    const first = JSON.parse(page1.stdout);
    assert.equal(first.deadLetters.length, 2);
    assert.ok(first.next);
    const page2 = JSON.parse((await runCli(['dead-letters', 'list', url, '--topic', 'orders', '--after', first.next, '--json'])).stdout);
    assert.equal(page2.deadLetters.length, 1);
    assert.equal(page2.next, null);
    assert.equal(JSON.parse((await runCli(['dead-letters', 'list', url, '--older-than', '4h', '--json'])).stdout).deadLetters.length, 0);
    assert.equal(JSON.parse((await runCli(['dead-letters', 'list', url, '--older-than', '2h', '--key', 'a', '--json'])).stdout).deadLetters.length, 3);

    const unfiltered = await runCli(['dead-letters', 'requeue', url]);
    assert.equal(unfiltered.code, 2, 'requeue with no --id, filter or --all is refused');
    const requeued = await runCli(['dead-letters', 'requeue', url, '--error', 'gone', '--json']);
    assert.equal(requeued.code, 0, requeued.stderr);
    assert.equal(JSON.parse(requeued.stdout).requeued, 3);
    const left = JSON.parse((await runCli(['dead-letters', 'list', url, '--json'])).stdout).deadLetters;
    assert.deepEqual(left.map((d: { topic: string }) => d.topic), ['refunds', 'refunds']);
    const discarded = await runCli(['dead-letters', 'discard', url, '--id', left[0].id, '--json']);
    assert.equal(JSON.parse(discarded.stdout).discarded, 1);
    const atEnd = await runCli(['dead-letters', 'requeue', url, '--id', left[1].id, '--at-end', '--json']);
    assert.equal(JSON.parse(atEnd.stdout).requeued, 1, atEnd.stderr);
    const reopened = new Database(file);
    const order = reopened.prepare('SELECT id FROM txbox_outbox WHERE dead_at IS NULL ORDER BY position').all() as { id: string }[];
    reopened.close();
    assert.equal(order.at(-1)!.id, left[1].id, 'requeued after every pending message');

    const stats = await runCli(['stats', url, '--json']);
    assert.equal(stats.code, 0, stats.stderr);
    const s = JSON.parse(stats.stdout);
    assert.equal(s.dead, 0);
    if (s.pending !== undefined) assert.equal(s.pending, 4, 'the requeued four are pending');
  });
});
