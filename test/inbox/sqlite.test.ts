import Database from 'better-sqlite3';
import { createSqliteInbox, createSqliteStore } from '../../src/stores/sqlite/index.js';
import { inboxContract } from './contract.js';

const open: Database.Database[] = [];

inboxContract({
  name: 'sqlite',
  async create() {
    const db = new Database(':memory:');
    open.push(db);
    const inbox = createSqliteInbox({ db });
    const outbox = createSqliteStore({ db });
    await inbox.migrate();
    await outbox.migrate();
    db.exec('CREATE TABLE counters (name TEXT PRIMARY KEY, n INTEGER NOT NULL)');
    // One connection, one writer: transactions take turns, as they would on the file lock.
    let queue: Promise<unknown> = Promise.resolve();
    const run = <T>(fn: (tx: Database.Database) => Promise<T>): Promise<T> => {
      const turn = queue.then(async () => {
        db.exec('BEGIN IMMEDIATE');
        try {
          const result = await fn(db);
          db.exec('COMMIT');
          return result;
        } catch (error) {
          db.exec('ROLLBACK');
          throw error;
        }
      });
      queue = turn.catch(() => {});
      return turn;
    };
    return {
      inbox,
      outbox,
      run,
      bump: async (tx: Database.Database, name) => {
        tx.prepare('INSERT INTO counters (name, n) VALUES (?, 1) ON CONFLICT (name) DO UPDATE SET n = n + 1').run(name);
      },
      counter: async (name) => (db.prepare('SELECT n FROM counters WHERE name = ?').get(name) as { n: number } | undefined)?.n ?? 0,
      age: async (ms) => void db.prepare('UPDATE txbox_inbox SET received_at = received_at - ?').run(ms),
    };
  },
  async close() {
    open.forEach((db) => db.close());
  },
});
