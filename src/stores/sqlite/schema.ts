import type { TableLayout } from '../shared/layout.js';

/**
 * The outbox DDL for SQLite. AUTOINCREMENT keeps positions from being reused after the newest
 * rows are deleted; times are integer milliseconds since the epoch.
 */
export function sqliteSchema(l: TableLayout): string {
  const { c, table } = l;
  const pending = `${c.processedAt} IS NULL AND ${c.deadAt} IS NULL`;
  const index = (suffix: string) => l.quote(`${l.bareTable}_${suffix}`);
  return [
    `CREATE TABLE IF NOT EXISTS ${table} (
  ${c.position} INTEGER PRIMARY KEY AUTOINCREMENT,
  ${c.id} TEXT NOT NULL,
  ${c.topic} TEXT NOT NULL,
  ${c.key} TEXT,
  ${c.payload} BLOB NOT NULL,
  ${c.contentType} TEXT NOT NULL,
  ${c.headers} TEXT,
  ${c.dedupKey} TEXT,
  ${c.createdAt} INTEGER NOT NULL,
  ${c.availableAt} INTEGER NOT NULL,
  ${c.attempts} INTEGER NOT NULL DEFAULT 0,
  ${c.lastError} TEXT,
  ${c.leaseToken} TEXT,
  ${c.leaseUntil} INTEGER,
  ${c.processedAt} INTEGER,
  ${c.deadAt} INTEGER
);`,
    `CREATE UNIQUE INDEX IF NOT EXISTS ${index('id')} ON ${table} (${c.id});`,
    `CREATE INDEX IF NOT EXISTS ${index('pending')} ON ${table} (${c.position}) WHERE ${pending};`,
    `CREATE INDEX IF NOT EXISTS ${index('key')} ON ${table} (${c.key}, ${c.position}) WHERE ${c.key} IS NOT NULL AND ${pending};`,
    `CREATE UNIQUE INDEX IF NOT EXISTS ${index('dedup')} ON ${table} (${c.dedupKey}) WHERE ${c.dedupKey} IS NOT NULL AND ${pending};`,
    `CREATE INDEX IF NOT EXISTS ${index('processed')} ON ${table} (${c.processedAt}) WHERE ${c.processedAt} IS NOT NULL;`,
    `CREATE INDEX IF NOT EXISTS ${index('dead')} ON ${table} (${c.position}) WHERE ${c.deadAt} IS NOT NULL;`,
  ].join('\n');
}
