import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOutbox, uuidv7 } from '../../src/core/index.js';
import { createSqliteStore, type SqliteStore } from '../../src/stores/sqlite/index.js';
import type { BenchConfig } from '../lib/args.js';
import { progress } from '../lib/log.js';
import { inRounds, pickBest, relayDrainRate, since, type Compared, type Rate } from '../lib/rounds.js';
import { orderMessage } from './write.js';

export interface SqliteResult {
  sqlite: string;
  write: Compared;
  drain: Compared & { messages: number };
}

/**
 * SQLite, one file in WAL mode with synchronous=NORMAL (the usual setting for an application):
 * the write workload (one writer, since SQLite has one) and the drain, each against the
 * hand-written equivalent on a table made by the same DDL.
 */
export async function runSqlite(cfg: BenchConfig): Promise<SqliteResult> {
  const dir = mkdtempSync(join(tmpdir(), 'txbox-bench-'));
  const db = new Database(join(dir, 'bench.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec('CREATE TABLE orders (id INTEGER PRIMARY KEY AUTOINCREMENT, customer TEXT NOT NULL, amount REAL NOT NULL, created_at INTEGER NOT NULL)');
    const store = createSqliteStore({ db, table: 'sq_txbox' });
    await store.migrate();
    await createSqliteStore({ db, table: 'sq_raw' }).migrate(); // same DDL, written by hand
    const version = (db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
    return { sqlite: version, write: await writeWorkload(db, store, cfg), drain: await drainWorkload(db, store, cfg) };
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function writeWorkload(db: Database.Database, store: SqliteStore, cfg: BenchConfig): Promise<SqliteResult['write']> {
  const outbox = createOutbox({ store });
  const order = db.prepare('INSERT INTO orders (customer, amount, created_at) VALUES (?, ?, ?)');
  const raw = db.prepare('INSERT INTO sq_raw (id, topic, key, payload, content_type, created_at, available_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const inTx = db.transaction((fn: () => void) => fn());
  const variants: Record<string, (i: number) => void> = {
    business_only: (i) => inTx.immediate(() => order.run(`customer-${i % 1000}`, 42.5, Date.now())),
    raw_outbox: (i) =>
      inTx.immediate(() => {
        order.run(`customer-${i % 1000}`, 42.5, Date.now());
        const m = orderMessage(i);
        const now = Date.now();
        raw.run(uuidv7(), m.topic, m.key, Buffer.from(JSON.stringify(m.payload)), 'application/json', now, now);
      }),
    txbox_send: (i) =>
      inTx.immediate(() => {
        order.run(`customer-${i % 1000}`, 42.5, Date.now());
        outbox.sendSync(db, orderMessage(i));
      }),
  };
  const n = cfg.quick ? 500 : 20_000;
  const result = await inRounds(Object.keys(variants), cfg.shortRounds, async (name) => {
    db.exec('DELETE FROM orders; DELETE FROM sq_txbox; DELETE FROM sq_raw');
    const start = performance.now();
    for (let i = 0; i < n; i++) variants[name]!(i);
    const run = since(n, start);
    progress(`sqlite write ${name}: ${run.per_s} tx/s`);
    return run;
  }, (r) => r.per_s);
  return { variants: pickBest(result.runs), ratio_per_round: result.ratio_per_round, ratio_median: result.ratio_median };
}

async function drainWorkload(db: Database.Database, store: SqliteStore, cfg: BenchConfig): Promise<SqliteResult['drain']> {
  const n = cfg.messages;
  const load = (table: string) => {
    db.exec(`DELETE FROM ${table}`);
    const now = Date.now();
    db.prepare(
      `WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < ?)
       INSERT INTO ${table} (id, topic, key, payload, content_type, created_at, available_at)
       SELECT lower(hex(randomblob(16))), 'order.created', NULL, CAST('{"order":' || i || ',"amount":42.5}' AS BLOB), 'application/json', ?, ? FROM g`,
    ).run(n, now, now);
  };
  // The hand-written loop: in one IMMEDIATE transaction, read the oldest 500, hand them to the
  // (no-op) producer, delete them.
  const select = db.prepare('SELECT position, id, topic, key, payload, content_type, headers, created_at, attempts FROM sq_raw WHERE processed_at IS NULL AND dead_at IS NULL AND available_at <= ? ORDER BY position LIMIT 500');
  const remove = db.prepare('DELETE FROM sq_raw WHERE position IN (SELECT value FROM json_each(?))');
  const rawBatch = db.transaction(() => {
    const rows = select.all(Date.now()) as { position: number }[];
    if (rows.length > 0) remove.run(JSON.stringify(rows.map((r) => r.position)));
    return rows.length;
  });
  const variants: Record<string, () => Promise<Rate>> = {
    raw_1: async () => {
      load('sq_raw');
      const start = performance.now();
      let done = 0;
      while (done < n) done += rawBatch.immediate();
      return since(done, start);
    },
    txbox_b500: async () => {
      load('sq_txbox');
      return relayDrainRate(store, n, 'SQLite');
    },
  };
  const result = await inRounds(Object.keys(variants), cfg.shortRounds, async (name) => {
    const run = await variants[name]!();
    progress(`sqlite drain ${name}: ${run.per_s} msgs/s`);
    return run;
  }, (r) => r.per_s);
  return { messages: n, variants: pickBest(result.runs), ratio_per_round: result.ratio_per_round, ratio_median: result.ratio_median };
}
