import { partialIndexes } from '../shared/indexes.js';
import type { TableLayout } from '../shared/layout.js';

/**
 * The outbox DDL for SQLite. AUTOINCREMENT keeps positions from being reused after the newest
 * rows are deleted; times are integer milliseconds since the epoch. SQLite would store a time
 * written as text (by hand, or by another tool) as text, which sorts after every number: such a
 * row would never be claimable, so the CHECKs refuse it when it is written.
 */
export function sqliteSchema(l: TableLayout): string {
  const { c, table } = l;
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
  ${c.createdAt} INTEGER NOT NULL CHECK (typeof(${c.createdAt}) = 'integer'),
  ${c.availableAt} INTEGER NOT NULL CHECK (typeof(${c.availableAt}) = 'integer'),
  ${c.attempts} INTEGER NOT NULL DEFAULT 0,
  ${c.lastError} TEXT,
  ${c.leaseToken} TEXT,
  ${c.leaseUntil} INTEGER,
  ${c.processedAt} INTEGER,
  ${c.deadAt} INTEGER
);`,
    ...partialIndexes(l),
  ].join('\n');
}
