import { schemaStatusOf, SCHEMA_REGISTRY_TABLE, type SchemaStatus } from '../../core/schema-version.js';
import type { TableLayout } from '../shared/layout.js';
import { columnNames, partialIndexNames } from '../shared/schema-registry.js';
import type { SqliteDatabaseLike } from './driver.js';
import { SQLITE_CATALOG } from './schema.js';

/** Whether the table exists and the version its registry row records (null: none). */
export function sqliteRecordedVersion(db: SqliteDatabaseLike, l: TableLayout): { exists: boolean; recorded: number | null } {
  const present = (table: string) => Number(db.prepare(SQLITE_CATALOG.exists).all(table)[0]?.n ?? 0) > 0;
  const exists = present(l.bareTable);
  if (!present(SCHEMA_REGISTRY_TABLE)) return { exists, recorded: null };
  const row = db.prepare(SQLITE_CATALOG.recorded(l)).all(l.bareTable)[0];
  return { exists, recorded: row ? Number(row.version) : null };
}

export function sqliteSchemaStatus(db: SqliteDatabaseLike, l: TableLayout): SchemaStatus {
  const { exists, recorded } = sqliteRecordedVersion(db, l);
  const names = (sql: string) => (exists ? db.prepare(sql).all(l.bareTable).map((r: { name: string }) => String(r.name)) : []);
  const found = { exists, recorded, columns: names(SQLITE_CATALOG.columns), indexes: names(SQLITE_CATALOG.indexes) };
  return schemaStatusOf(l.table, found, { columns: columnNames(l), indexes: partialIndexNames(l) });
}
