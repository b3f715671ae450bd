import { partialIndexes } from '../shared/indexes.js';
import { OUTBOX_SCHEMA_VERSION } from '../../core/schema-version.js';
import type { OutboxColumns, TableLayout } from '../shared/layout.js';
import { literal, registryTable, upgradeStatements, type RegisteredTable, type UpgradeStep } from '../shared/schema-registry.js';

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
  ${c.deadAt} INTEGER,
  ${c.attemptHistory} TEXT
);`,
    ...partialIndexes(l),
  ].join('\n');
}

/** The declared type of each outbox column, as `pragma_table_info` reports it, for `schemaStatus()`. */
export const SQLITE_OUTBOX_TYPES: Readonly<Record<keyof OutboxColumns, string>> = {
  position: 'INTEGER',
  id: 'TEXT',
  topic: 'TEXT',
  key: 'TEXT',
  payload: 'BLOB',
  contentType: 'TEXT',
  headers: 'TEXT',
  dedupKey: 'TEXT',
  createdAt: 'INTEGER',
  availableAt: 'INTEGER',
  attempts: 'INTEGER',
  lastError: 'TEXT',
  leaseToken: 'TEXT',
  leaseUntil: 'INTEGER',
  processedAt: 'INTEGER',
  deadAt: 'INTEGER',
  attemptHistory: 'TEXT',
};

/**
 * Add-only changes since version 1; each new version adds one step here.
 * 2: the attempt history (JSON text). SQLite adds a nullable column without touching any row.
 */
const UPGRADES: readonly UpgradeStep[] = [
  { to: 2, statements: (l) => [`ALTER TABLE ${l.table} ADD COLUMN ${l.c.attemptHistory} TEXT;`] },
];

/** The version registry and a txbox table's record in it; the record never lowers a version. */
export function sqliteVersionSql(t: RegisteredTable, version: number): string {
  const registry = registryTable(t);
  return `CREATE TABLE IF NOT EXISTS ${registry} (
  table_name TEXT PRIMARY KEY,
  version INTEGER NOT NULL,
  migrated_at INTEGER NOT NULL
);
INSERT INTO ${registry} (table_name, version, migrated_at) VALUES (${literal(t.bareTable)}, ${version}, CAST(strftime('%s', 'now') AS INTEGER) * 1000)
  ON CONFLICT (table_name) DO UPDATE SET version = max(version, excluded.version), migrated_at = excluded.migrated_at;`;
}

/** What `migrate()` runs on a table at version `from` (null: no table yet). */
export function sqliteMigrationSql(l: TableLayout, from: number | null): string {
  const upgrades = from === null ? [] : upgradeStatements(UPGRADES, l, from);
  return [...upgrades, sqliteSchema(l), sqliteVersionSql(l, OUTBOX_SCHEMA_VERSION)].join('\n');
}

/** Catalog reads; the parameter is the bare table name. */
export const SQLITE_CATALOG = {
  exists: `SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = ?`,
  columns: `SELECT name, type FROM pragma_table_info(?)`,
  // The primary key's index by role ('PRIMARY', as MySQL names it), not by SQLite's autoindex name.
  indexes: `SELECT CASE WHEN origin = 'pk' THEN 'PRIMARY' ELSE name END AS name FROM pragma_index_list(?)`,
  recorded: (t: RegisteredTable) => `SELECT version FROM ${registryTable(t)} WHERE table_name = ?`,
};
