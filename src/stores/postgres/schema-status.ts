import { OUTBOX_SCHEMA_VERSION, schemaStatusOf, type SchemaStatus, type SchemaTableKind, type TableShape } from '../../core/schema-version.js';
import type { TableLayout } from '../shared/layout.js';
import { outboxColumnShapes, partialIndexNames, registryTable, type RegisteredTable } from '../shared/schema-registry.js';
import type { PgQueryable } from './driver.js';
import { PG_CATALOG, PG_OUTBOX_TYPES } from './schema.js';

/** Whether the table exists and the version its registry row records (null: none). */
export async function pgRecordedVersion(db: PgQueryable, t: RegisteredTable): Promise<{ exists: boolean; recorded: number | null }> {
  const present = async (table: string) => Boolean((await db.query(PG_CATALOG.exists, [table])).rows[0]?.present);
  const exists = await present(t.table);
  if (!(await present(registryTable(t)))) return { exists, recorded: null };
  const row = (await db.query(PG_CATALOG.recorded(t), [t.bareTable])).rows[0];
  return { exists, recorded: row ? Number(row.version) : null };
}

/** A txbox table's version, and what of `shape` (columns, their types, indexes) the catalog lacks. */
export async function pgTableStatus(db: PgQueryable, kind: SchemaTableKind, t: RegisteredTable, shape: TableShape, expected: number): Promise<SchemaStatus> {
  const { exists, recorded } = await pgRecordedVersion(db, t);
  const rows = async (sql: string) => (exists ? (await db.query(sql, [t.table])).rows : []);
  const columns = (await rows(PG_CATALOG.columns)).map((r: { name: string; type: string }) => ({ name: String(r.name), type: String(r.type) }));
  const indexes = (await rows(PG_CATALOG.indexes)).map((r: { name: string }) => String(r.name));
  return schemaStatusOf(kind, t.table, { exists, recorded, columns, indexes }, shape, expected);
}

/** The outbox table's status. */
export function pgSchemaStatus(db: PgQueryable, l: TableLayout): Promise<SchemaStatus> {
  return pgTableStatus(db, 'outbox', l, { columns: outboxColumnShapes(l, PG_OUTBOX_TYPES), indexes: partialIndexNames(l) }, OUTBOX_SCHEMA_VERSION);
}
