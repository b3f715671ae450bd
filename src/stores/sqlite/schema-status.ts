import { OUTBOX_SCHEMA_VERSION, schemaStatusOf, SCHEMA_REGISTRY_TABLE, type SchemaStatus, type SchemaTableKind, type TableShape } from '../../core/schema-version.js';
import type { TableLayout } from '../shared/layout.js';
import { outboxColumnShapes, partialIndexNames, type RegisteredTable } from '../shared/schema-registry.js';
import type { SqliteDatabaseLike } from './driver.js';
import { SQLITE_CATALOG, SQLITE_OUTBOX_TYPES } from './schema.js';

/** Whether the table exists and the version its registry row records (null: none). */
export function sqliteRecordedVersion(db: SqliteDatabaseLike, t: RegisteredTable): { exists: boolean; recorded: number | null } {
  const present = (table: string) => Number(db.prepare(SQLITE_CATALOG.exists).all(table)[0]?.n ?? 0) > 0;
  const exists = present(t.bareTable);
  if (!present(SCHEMA_REGISTRY_TABLE)) return { exists, recorded: null };
  const row = db.prepare(SQLITE_CATALOG.recorded(t)).all(t.bareTable)[0];
  return { exists, recorded: row ? Number(row.version) : null };
}

/** A txbox table's version, and what of `shape` (columns, their types, indexes) the catalog lacks. */
export function sqliteTableStatus(db: SqliteDatabaseLike, kind: SchemaTableKind, t: RegisteredTable, shape: TableShape, expected: number): SchemaStatus {
  const { exists, recorded } = sqliteRecordedVersion(db, t);
  const rows = (sql: string) => (exists ? db.prepare(sql).all(t.bareTable) : []);
  const columns = rows(SQLITE_CATALOG.columns).map((r: { name: string; type: string }) => ({ name: String(r.name), type: String(r.type) }));
  const indexes = rows(SQLITE_CATALOG.indexes).map((r: { name: string }) => String(r.name));
  return schemaStatusOf(kind, t.table, { exists, recorded, columns, indexes }, shape, expected);
}

/** The outbox table's status. */
export function sqliteSchemaStatus(db: SqliteDatabaseLike, l: TableLayout): SchemaStatus {
  return sqliteTableStatus(db, 'outbox', l, { columns: outboxColumnShapes(l, SQLITE_OUTBOX_TYPES), indexes: partialIndexNames(l) }, OUTBOX_SCHEMA_VERSION);
}
