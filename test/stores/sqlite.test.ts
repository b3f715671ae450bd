import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteStore } from '../../src/stores/sqlite/index.js';
import { uniqueName } from '../support/env.js';
import type { HarnessOptions } from './harness.js';
import { storeContract } from './contract.js';
import { queriesContract } from './queries-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'txbox-sqlite-'));
const open: Database.Database[] = [];

function connect(file: string): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  open.push(db);
  return db;
}

storeContract(queriesContract({
  name: 'sqlite',
  sql: true,
  async create(options: HarnessOptions = {}) {
    const file = join(dir, `${uniqueName('t')}.db`);
    const table = `${options.table ?? 'outbox'}_${Math.random().toString(36).slice(2, 8)}`;
    const make = (db: Database.Database) => createSqliteStore({ db, ...options, table });
    const store = make(connect(file));
    await store.migrate();
    // The application writes through its own connection, as another process would.
    const writer = connect(file);
    const inTransaction = async (fn: (tx: Database.Database) => unknown, commit: boolean) => {
      writer.exec('BEGIN IMMEDIATE');
      try {
        await fn(writer);
      } catch (error) {
        writer.exec('ROLLBACK');
        throw error;
      }
      writer.exec(commit ? 'COMMIT' : 'ROLLBACK');
    };
    return {
      store,
      commit: (fn) => inTransaction(fn, true),
      rollback: (fn) => inTransaction(fn, false),
      second: async () => make(connect(file)),
      rowCount: async () => (writer.prepare(`SELECT count(*) AS n FROM "${table}"`).get() as { n: number }).n,
    };
  },
  async close() {
    open.forEach((db) => db.close());
    rmSync(dir, { recursive: true, force: true });
  },
}));
