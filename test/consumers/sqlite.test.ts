import Database from 'better-sqlite3';
import { createSqliteInbox, createSqliteSchedules, createSqliteStore } from '../../src/stores/sqlite/index.js';
import { consumersContract } from './contract.js';

const open: Database.Database[] = [];

consumersContract({
  name: 'sqlite',
  parallelTransactions: false,
  asyncHandlers: false,
  async create() {
    const db = new Database(':memory:');
    open.push(db);
    const store = createSqliteStore({ db });
    const inbox = createSqliteInbox({ db });
    const schedules = createSqliteSchedules({ db });
    await store.migrate();
    await inbox.migrate();
    await schedules.migrate();
    db.exec('CREATE TABLE counters (name TEXT PRIMARY KEY, n INTEGER NOT NULL)');
    return {
      store,
      inbox,
      schedules,
      write: async (fn) => void store.transaction(fn),
      bump: (tx: Database.Database, name) => void tx.prepare('INSERT INTO counters (name, n) VALUES (?, 1) ON CONFLICT (name) DO UPDATE SET n = n + 1').run(name),
      counter: async (name) => (db.prepare('SELECT n FROM counters WHERE name = ?').get(name) as { n: number } | undefined)?.n ?? 0,
    };
  },
  async close() {
    open.forEach((db) => db.close());
  },
});
