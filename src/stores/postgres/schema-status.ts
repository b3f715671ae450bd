import { schemaStatusOf, type SchemaStatus } from '../../core/schema-version.js';
import type { TableLayout } from '../shared/layout.js';
import { columnNames, partialIndexNames, registryTable } from '../shared/schema-registry.js';
import type { PgQueryable } from './driver.js';
import { PG_CATALOG } from './schema.js';

/** Whether the table exists and the version its registry row records (null: none). */
export async function pgRecordedVersion(db: PgQueryable, l: TableLayout): Promise<{ exists: boolean; recorded: number | null }> {
  const present = async (table: string) => Boolean((await db.query(PG_CATALOG.exists, [table])).rows[0]?.present);
  const exists = await present(l.table);
  if (!(await present(registryTable(l)))) return { exists, recorded: null };
  const row = (await db.query(PG_CATALOG.recorded(l), [l.bareTable])).rows[0];
  return { exists, recorded: row ? Number(row.version) : null };
}

/** The table's version and what of this version's columns and indexes the catalog lacks. */
export async function pgSchemaStatus(db: PgQueryable, l: TableLayout): Promise<SchemaStatus> {
  const { exists, recorded } = await pgRecordedVersion(db, l);
  const names = async (sql: string) => (exists ? (await db.query(sql, [l.table])).rows.map((r: { name: string }) => String(r.name)) : []);
  const found = { exists, recorded, columns: await names(PG_CATALOG.columns), indexes: await names(PG_CATALOG.indexes) };
  return schemaStatusOf(l.table, found, { columns: columnNames(l), indexes: partialIndexNames(l) });
}
