import { OUTBOX_SCHEMA_VERSION } from '../../core/schema-version.js';
import type { TableShape } from '../../core/schema-version.js';
import type { OutboxColumns, TableLayout } from '../shared/layout.js';
import { literal, outboxColumnShapes, registryTable, upgradeStatements, type RegisteredTable, type UpgradeStep } from '../shared/schema-registry.js';

/** Index names are scoped to their table in MySQL, so they need no table prefix. */
export const INDEX = { id: 'txbox_id', dedup: 'txbox_dedup', pending: 'txbox_pending', key: 'txbox_key' } as const;

/**
 * The outbox DDL for MariaDB 10.6+ and MySQL 8. One idempotent statement (indexes are declared
 * inline because MySQL has no CREATE INDEX IF NOT EXISTS).
 *
 * - `position` orders, `id` identifies: an auto-increment value can be handed out again (older
 *   servers restart the counter at the highest remaining value after a restart, so the
 *   positions of deleted rows come back), so a position is never used as identity.
 * - Times are DATETIME(6) holding UTC, always written and compared with UTC_TIMESTAMP(6): no
 *   session time zone and no client clock takes part.
 * - Headers are MEDIUMTEXT, not JSON: MariaDB's JSON is LONGTEXT anyway, while MySQL's binary JSON
 *   is returned parsed by mysql2 and reorders keys; text behaves the same on both.
 * - No partial indexes: the indexes the relay reads lead with (processed_at, dead_at), both NULL
 *   while pending (dead letters and cleanup use the same index), and the dedup key is unique only through a generated column that is NULL once
 *   the message is processed or dead. It is VARBINARY so that keys differing only in case or
 *   trailing spaces stay distinct, whatever the collation.
 * - The table collation is utf8mb4_bin, so keys compare by code point, not case-insensitively.
 */
export function mysqlSchema(l: TableLayout, pendingDedup: string): string {
  const { c, table } = l;
  const ascii = 'CHARACTER SET ascii COLLATE ascii_bin';
  return `CREATE TABLE IF NOT EXISTS ${table} (
  ${c.position} BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  ${c.id} CHAR(36) ${ascii} NOT NULL,
  ${c.topic} VARCHAR(255) NOT NULL,
  ${c.key} VARCHAR(255) NULL,
  ${c.payload} LONGBLOB NOT NULL,
  ${c.contentType} VARCHAR(255) NOT NULL,
  ${c.headers} MEDIUMTEXT NULL,
  ${c.dedupKey} VARCHAR(255) NULL,
  ${c.createdAt} DATETIME(6) NOT NULL,
  ${c.availableAt} DATETIME(6) NOT NULL,
  ${c.attempts} INT NOT NULL DEFAULT 0,
  ${c.lastError} TEXT NULL,
  ${c.leaseToken} CHAR(36) ${ascii} NULL,
  ${c.leaseUntil} DATETIME(6) NULL,
  ${c.processedAt} DATETIME(6) NULL,
  ${c.deadAt} DATETIME(6) NULL,
  ${pendingDedup} VARBINARY(1020) AS (CASE WHEN ${c.processedAt} IS NULL AND ${c.deadAt} IS NULL THEN ${c.dedupKey} END) STORED,
  ${c.attemptHistory} MEDIUMTEXT NULL,
  PRIMARY KEY (${c.position}),
  UNIQUE KEY ${l.quote(INDEX.id)} (${c.id}),
  UNIQUE KEY ${l.quote(INDEX.dedup)} (${pendingDedup}),
  KEY ${l.quote(INDEX.pending)} (${c.processedAt}, ${c.deadAt}, ${c.position}),
  KEY ${l.quote(INDEX.key)} (${c.key}, ${c.processedAt}, ${c.deadAt}, ${c.position})
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`;
}

/**
 * The type of each outbox column as `information_schema.columns.column_type` names it, without
 * the display widths of integer types (MariaDB writes `bigint(20) unsigned`, MySQL 8 `bigint unsigned`).
 */
export const MYSQL_OUTBOX_TYPES: Readonly<Record<keyof OutboxColumns, string>> = {
  position: 'bigint unsigned',
  id: 'char(36)',
  topic: 'varchar(255)',
  key: 'varchar(255)',
  payload: 'longblob',
  contentType: 'varchar(255)',
  headers: 'mediumtext',
  dedupKey: 'varchar(255)',
  createdAt: 'datetime(6)',
  availableAt: 'datetime(6)',
  attempts: 'int',
  lastError: 'text',
  leaseToken: 'char(36)',
  leaseUntil: 'datetime(6)',
  processedAt: 'datetime(6)',
  deadAt: 'datetime(6)',
  attemptHistory: 'mediumtext',
};

/**
 * Add-only changes since version 1; each new version adds one step here. MySQL's DDL commits
 * statement by statement, so a step may meet its own work half done (see mysqlUpgradeStatements).
 * 2: the attempt history, JSON as MEDIUMTEXT like the headers; a nullable last column is added
 * in place (ALGORITHM=INSTANT on MySQL 8, MariaDB 10.3+) without rewriting the table.
 */
const UPGRADES: readonly UpgradeStep[] = [
  { to: 2, statements: (l) => [`ALTER TABLE ${l.table} ADD COLUMN ${l.c.attemptHistory} MEDIUMTEXT NULL`] },
];

/** The version registry and a txbox table's record in it; the record never lowers a version. */
export function mysqlVersionStatements(t: RegisteredTable, version: number): string[] {
  const registry = registryTable(t);
  return [
    `CREATE TABLE IF NOT EXISTS ${registry} (
  table_name VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  version INT NOT NULL,
  migrated_at DATETIME(6) NOT NULL
) ENGINE=InnoDB`,
    `INSERT INTO ${registry} (table_name, version, migrated_at) VALUES (${literal(t.bareTable)}, ${version}, UTC_TIMESTAMP(6))
  ON DUPLICATE KEY UPDATE version = GREATEST(version, VALUES(version)), migrated_at = VALUES(migrated_at)`,
  ];
}

/** The statements `migrate()` runs, one at a time, on a table at version `from` (null: no table yet). */
export function mysqlMigrationStatements(l: TableLayout, pendingDedup: string, from: number | null): string[] {
  return [...mysqlUpgradeStatements(l, from), mysqlSchema(l, pendingDedup), ...mysqlVersionStatements(l, OUTBOX_SCHEMA_VERSION)];
}

/**
 * The upgrade part alone. A migrate interrupted between an ALTER (which commits at once) and the
 * version record leaves the table ahead of its record; run again, that ALTER then fails with
 * ER_DUP_FIELDNAME, which `isAppliedStep` recognises as done.
 */
function mysqlUpgradeStatements(l: TableLayout, from: number | null): string[] {
  return from === null ? [] : upgradeStatements(UPGRADES, l, from);
}

/** MySQL's "duplicate column name": an ADD COLUMN step that ran before. */
export const isAppliedStep = (error: unknown) => (error as { errno?: unknown })?.errno === 1060;

/** What `schemaStatus()` looks for: the columns (the generated dedup column too) and the inline indexes. */
export function mysqlExpected(l: TableLayout, pendingDedupName: string): TableShape {
  return { columns: [...outboxColumnShapes(l, MYSQL_OUTBOX_TYPES), { name: pendingDedupName, type: 'varbinary(1020)' }], indexes: ['PRIMARY', ...Object.values(INDEX)] };
}

/** Catalog reads; the first parameter is the database (null: the connection's), the second the table. */
export const MYSQL_CATALOG = {
  exists: `SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = COALESCE(?, DATABASE()) AND table_name = ?`,
  columns: `SELECT column_name AS name, column_type AS type FROM information_schema.columns WHERE table_schema = COALESCE(?, DATABASE()) AND table_name = ?`,
  indexes: `SELECT DISTINCT index_name AS name FROM information_schema.statistics WHERE table_schema = COALESCE(?, DATABASE()) AND table_name = ?`,
  recorded: (t: RegisteredTable) => `SELECT version FROM ${registryTable(t)} WHERE table_name = ?`,
};
