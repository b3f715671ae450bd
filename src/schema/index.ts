import { invalidOption } from '../core/errors.js';
import { rejectUnknownOptions } from '../core/option-keys.js';
import { LAYOUT_OPTION_KEYS, PG_MAX_IDENTIFIER, resolveLayout, type LayoutOptions } from '../stores/shared/layout.js';
import { PENDING_DEDUP_COLUMN } from '../stores/mysql/options.js';
import { mysqlMigrationStatements } from '../stores/mysql/schema.js';
import { postgresMigrationSql } from '../stores/postgres/schema.js';
import { sqliteMigrationSql } from '../stores/sqlite/schema.js';

export { OUTBOX_SCHEMA_VERSION, SCHEMA_REGISTRY_TABLE, type SchemaStatus } from '../core/schema-version.js';

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
