import { partialIndexes } from '../shared/indexes.js';
import { OUTBOX_SCHEMA_VERSION } from '../../core/schema-version.js';
import type { OutboxColumns, TableLayout } from '../shared/layout.js';
import { literal, registryTable, upgradeStatements, type RegisteredTable, type UpgradeStep } from '../shared/schema-registry.js';

/** The outbox DDL for PostgreSQL (and PGlite). Idempotent: safe to run at every start. */
export function postgresSchema(l: TableLayout, schema: string | undefined): string {
  const { c, table } = l;
  return [
    schema ? `CREATE SCHEMA IF NOT EXISTS ${l.quote(schema)};` : '',
    `CREATE TABLE IF NOT EXISTS ${table} (
  ${c.position} bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  ${c.id} uuid NOT NULL,
  ${c.topic} text NOT NULL,
  ${c.key} text,
  ${c.payload} bytea NOT NULL,
  ${c.contentType} text NOT NULL,
  ${c.headers} text,
  ${c.dedupKey} text,
  ${c.createdAt} timestamptz NOT NULL DEFAULT now(),
  ${c.availableAt} timestamptz NOT NULL DEFAULT now(),
  ${c.attempts} integer NOT NULL DEFAULT 0,
  ${c.lastError} text,
  ${c.leaseToken} uuid,
  ${c.leaseUntil} timestamptz,
  ${c.processedAt} timestamptz,
  ${c.deadAt} timestamptz,
  ${c.attemptHistory} jsonb
);`,
    ...partialIndexes(l),
  ]
    .filter(Boolean)
    .join('\n');
}

/** The type of each outbox column as `format_type()` names it, for `schemaStatus()`. */
export const PG_OUTBOX_TYPES: Readonly<Record<keyof OutboxColumns, string>> = {
  position: 'bigint',
  id: 'uuid',
  topic: 'text',
  key: 'text',
  payload: 'bytea',
  contentType: 'text',
  headers: 'text',
  dedupKey: 'text',
  createdAt: 'timestamp with time zone',
  availableAt: 'timestamp with time zone',
  attempts: 'integer',
  lastError: 'text',
  leaseToken: 'uuid',
  leaseUntil: 'timestamp with time zone',
  processedAt: 'timestamp with time zone',
  deadAt: 'timestamp with time zone',
  attemptHistory: 'jsonb',
};

/**
 * Add-only changes since version 1; each new version adds one step here.
 * 2: the attempt history. A nullable column without a default: adding it rewrites no row.
 */
const UPGRADES: readonly UpgradeStep[] = [
  { to: 2, statements: (l) => [`ALTER TABLE ${l.table} ADD COLUMN IF NOT EXISTS ${l.c.attemptHistory} jsonb;`] },
];

/**
 * The version registry and a table's record in it (any txbox table: outbox, inbox, schedules).
 * The record never lowers a version, so running an older script against a newer table leaves
 * its record alone.
 */
export function postgresVersionSql(t: RegisteredTable, version: number): string {
  const registry = registryTable(t);
  return `CREATE TABLE IF NOT EXISTS ${registry} (
  table_name text PRIMARY KEY,
  version integer NOT NULL,
  migrated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO ${registry} (table_name, version) VALUES (${literal(t.bareTable)}, ${version})
  ON CONFLICT (table_name) DO UPDATE SET version = GREATEST(${registry}.version, EXCLUDED.version), migrated_at = now();`;
}

/** What `migrate()` runs on a table at version `from` (null: no table yet). */
export function postgresMigrationSql(l: TableLayout, schema: string | undefined, from: number | null): string {
  const upgrades = from === null ? [] : upgradeStatements(UPGRADES, l, from);
  return [...upgrades, postgresSchema(l, schema), postgresVersionSql(l, OUTBOX_SCHEMA_VERSION)].join('\n');
}

/** Catalog reads for `schemaStatus()` and `migrate()`; `$1` is the quoted table name. */
export const PG_CATALOG = {
  exists: `SELECT to_regclass($1) IS NOT NULL AS present`,
  columns: `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped`,
  // The primary key by role, not by the name PostgreSQL derived for it: as MySQL names it.
  indexes: `SELECT CASE WHEN i.indisprimary THEN 'PRIMARY' ELSE c.relname END AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = to_regclass($1)`,
  recorded: (t: RegisteredTable) => `SELECT version FROM ${registryTable(t)} WHERE table_name = $1`,
};
