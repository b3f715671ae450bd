import type { Clock } from '../../core/clock.js';
import { systemClock } from '../../core/clock.js';
import { invalidOption, schemaMissing } from '../../core/errors.js';
import { rejectUnknownOptions } from '../../core/option-keys.js';
import type { InboxStore } from '../../core/inbox.js';
import { INBOX_SCHEMA_VERSION } from '../../core/schema-version.js';
import { checkIdentifier } from '../shared/layout.js';
import { columnShapes } from '../shared/schema-registry.js';
import { checkTransactionHandle, isNoSuchTable, statementCache, type SqliteDatabaseLike } from './driver.js';
import { sqliteMigrate } from './migrate.js';
import { sqliteVersionSql } from './schema.js';
import { sqliteTableStatus } from './schema-status.js';

/** The declared column types, for `schemaStatus()`. */
const COLUMNS = columnShapes({ consumer: 'TEXT', message_id: 'TEXT', received_at: 'INTEGER', result: 'TEXT' });

export interface SqliteInboxOptions {
  db: SqliteDatabaseLike;
  /** Table name. Default `txbox_inbox`. */
  table?: string;
  clock?: Clock;
}

const quote = (name: string) => `"${name}"`;

/** The inbox table's names, the script `migrate()` runs (version record included) and what its status checks; no I/O. */
export function sqliteInboxTable(o: { table?: string }) {
  const bareTable = checkIdentifier('table', o.table ?? 'txbox_inbox');
  const table = quote(bareTable);
  const receivedIndex = `${bareTable}_received`;
  const ddl = `CREATE TABLE IF NOT EXISTS ${table} (
  consumer TEXT NOT NULL,
  message_id TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  result TEXT,
  PRIMARY KEY (consumer, message_id)
);
CREATE INDEX IF NOT EXISTS ${quote(receivedIndex)} ON ${table} (received_at);
${sqliteVersionSql({ table, bareTable, quote }, INBOX_SCHEMA_VERSION)}`;
  return { table, bareTable, quote, ddl, shape: { columns: COLUMNS, indexes: ['PRIMARY', receivedIndex] } };
}

/** The inbox for SQLite. SQLite has one writer, so the insert-or-ignore can never race. */
export function createSqliteInbox(options: SqliteInboxOptions): InboxStore<SqliteDatabaseLike> {
  rejectUnknownOptions<SqliteInboxOptions>(options, { db: true, table: true, clock: true });
  const db = options?.db;
  if (!db || typeof db.prepare !== 'function') throw invalidOption('db', db, 'must be a better-sqlite3 Database');
  const clock = options.clock ?? systemClock;
  const t = sqliteInboxTable(options);
  const { table, ddl } = t;
  const stmt = statementCache();
  const where = 'WHERE consumer = ? AND message_id = ?';
  const recordSync = (tx: SqliteDatabaseLike, consumer: string, messageId: string) => {
    checkTransactionHandle(tx);
    try {
      return stmt(tx, `INSERT INTO ${table} (consumer, message_id, received_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`).run(consumer, messageId, clock.now()).changes === 1;
    } catch (error) {
      throw isNoSuchTable(error) ? schemaMissing('inbox', error) : error;
    }
  };
  const storedResultSync = (tx: SqliteDatabaseLike, consumer: string, messageId: string) =>
    (stmt(tx, `SELECT result FROM ${table} ${where}`).all(consumer, messageId)[0]?.result as string | null | undefined) ?? null;
  const saveResultSync = (tx: SqliteDatabaseLike, consumer: string, messageId: string, json: string) => {
    stmt(tx, `UPDATE ${table} SET result = ? ${where}`).run(json, consumer, messageId);
  };
  return {
    kind: 'sqlite',
    recordSync,
    storedResultSync,
    saveResultSync,
    record: async (tx, consumer, messageId) => recordSync(tx, consumer, messageId),
    storedResult: async (tx, consumer, messageId) => storedResultSync(tx, consumer, messageId),
    saveResult: async (tx, consumer, messageId, json) => saveResultSync(tx, consumer, messageId, json),
    cleanup: async (windowMs, limit) =>
      stmt(db, `DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} WHERE received_at < ? ORDER BY received_at LIMIT ?)`).run(clock.now() - windowMs, limit).changes,
    // Version 1 is the only one yet: a table at any version below gets the same script.
    migrate: async () => sqliteMigrate(db, t, INBOX_SCHEMA_VERSION, () => ddl),
    schemaSql: () => ddl,
    schemaStatus: async () => sqliteTableStatus(db, 'inbox', t, t.shape, INBOX_SCHEMA_VERSION),
  };
}
