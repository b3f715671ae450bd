import { invalidOption } from '../core/errors.js';
import { rejectUnknownOptions } from '../core/option-keys.js';
import { LAYOUT_OPTION_KEYS, PG_MAX_IDENTIFIER, resolveLayout, type LayoutOptions } from '../stores/shared/layout.js';
import { PENDING_DEDUP_COLUMN } from '../stores/mysql/options.js';
import { mysqlMigrationStatements } from '../stores/mysql/schema.js';
import { postgresMigrationSql } from '../stores/postgres/schema.js';
import { sqliteMigrationSql } from '../stores/sqlite/schema.js';
import { mysqlInboxTable } from '../stores/mysql/inbox.js';
import { mysqlSchedulesTable } from '../stores/mysql/schedules.js';
import { pgInboxTable } from '../stores/postgres/inbox.js';
import { pgSchedulesTable } from '../stores/postgres/schedules.js';
import { sqliteInboxTable } from '../stores/sqlite/inbox.js';
import { sqliteSchedulesTable } from '../stores/sqlite/schedules.js';

export { INBOX_SCHEMA_VERSION, OUTBOX_SCHEMA_VERSION, SCHEDULES_SCHEMA_VERSION, SCHEMA_REGISTRY_TABLE, type ColumnTypeDrift, type SchemaStatus, type SchemaTableKind } from '../core/schema-version.js';

export type SchemaDialect = 'postgres' | 'mysql' | 'sqlite';

export interface SchemaSqlOptions extends LayoutOptions {
  /** `postgres` (also PGlite), `mysql` (MySQL 8 and MariaDB), or `sqlite`. */
  dialect: SchemaDialect;
}

const DIALECTS: readonly SchemaDialect[] = ['postgres', 'mysql', 'sqlite'];

/**
 * The outbox DDL a store's `migrate()` runs on a new database, version record included, with no
 * database connection: for your own migration tool (`txbox schema` prints it). Idempotent.
 */
export function schemaSqlFor(options: SchemaSqlOptions): string {
  if (options === null || typeof options !== 'object') throw invalidOption('options', options, 'of schemaSqlFor must be an object');
  rejectUnknownOptions<SchemaSqlOptions>(options, { ...LAYOUT_OPTION_KEYS, dialect: true });
  const { dialect, ...layout } = options;
  if (!DIALECTS.includes(dialect)) throw invalidOption('dialect', dialect, `must be one of ${DIALECTS.join(', ')}`);
  if (dialect === 'postgres') return postgresMigrationSql(resolveLayout(layout, 'txbox_outbox', '"', PG_MAX_IDENTIFIER), layout.schema, null);
  if (dialect === 'sqlite') {
    if (layout.schema !== undefined) throw invalidOption('schema', layout.schema, 'is not supported by SQLite (attach a database instead)');
    return sqliteMigrationSql(resolveLayout(layout, 'txbox_outbox', '"'), null);
  }
  const l = resolveLayout(layout, 'txbox_outbox', '`');
  return mysqlMigrationStatements(l, l.quote(PENDING_DEDUP_COLUMN), null).map((s) => `${s};`).join('\n');
}

export interface TableSchemaSqlOptions {
  dialect: SchemaDialect;
  /** Table name. Default `txbox_inbox` or `txbox_schedules`. */
  table?: string;
  /** PostgreSQL schema or MySQL database (not SQLite). */
  schema?: string;
}

/** The inbox table's DDL (`createPostgresInbox`, ...), version record included, with no database connection. */
export function inboxSchemaSqlFor(options: TableSchemaSqlOptions): string {
  const o = checkTableOptions(options, 'inboxSchemaSqlFor');
  if (o.dialect === 'postgres') return pgInboxTable(o).ddl;
  if (o.dialect === 'sqlite') return sqliteInboxTable(o).ddl;
  return mysqlInboxTable(o).statements.map((s) => `${s};`).join('\n');
}

/** The schedules table's DDL (`txbox/consumers`), version record included, with no database connection. */
export function schedulesSchemaSqlFor(options: TableSchemaSqlOptions): string {
  const o = checkTableOptions(options, 'schedulesSchemaSqlFor');
  if (o.dialect === 'postgres') return pgSchedulesTable(o).ddl;
  if (o.dialect === 'sqlite') return sqliteSchedulesTable(o).ddl;
  return mysqlSchedulesTable(o).statements.map((s) => `${s};`).join('\n');
}

function checkTableOptions(options: TableSchemaSqlOptions, fn: string): TableSchemaSqlOptions {
  if (options === null || typeof options !== 'object') throw invalidOption('options', options, `of ${fn} must be an object`);
  rejectUnknownOptions<TableSchemaSqlOptions>(options, { dialect: true, table: true, schema: true });
  if (!DIALECTS.includes(options.dialect)) throw invalidOption('dialect', options.dialect, `must be one of ${DIALECTS.join(', ')}`);
  if (options.dialect === 'sqlite' && options.schema !== undefined) throw invalidOption('schema', options.schema, 'is not supported by SQLite (attach a database instead)');
  return options;
}
