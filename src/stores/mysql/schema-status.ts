import { OUTBOX_SCHEMA_VERSION, schemaStatusOf, SCHEMA_REGISTRY_TABLE, type SchemaStatus, type SchemaTableKind, type TableShape } from '../../core/schema-version.js';
import type { TableLayout } from '../shared/layout.js';
import type { RegisteredTable } from '../shared/schema-registry.js';
import { selectRows, type MysqlQueryable } from './driver.js';
import { MYSQL_CATALOG, mysqlExpected } from './schema.js';

/** Whether the table exists and the version its registry row records (null: none). */
export async function mysqlRecordedVersion(db: MysqlQueryable, t: RegisteredTable, schema: string | null): Promise<{ exists: boolean; recorded: number | null }> {
  const present = async (table: string) => Number((await selectRows(db, MYSQL_CATALOG.exists, [schema, table]))[0]?.n ?? 0) > 0;
  const exists = await present(t.bareTable);
  if (!(await present(SCHEMA_REGISTRY_TABLE))) return { exists, recorded: null };
  const row = (await selectRows(db, MYSQL_CATALOG.recorded(t), [t.bareTable]))[0];
  return { exists, recorded: row ? Number(row.version) : null };
}

/** MariaDB keeps the display width of integer types (`int(11)`), MySQL 8 does not: compare without it. */
const withoutDisplayWidth = (type: string) => type.replace(/^(tinyint|smallint|mediumint|int|bigint)\(\d+\)/i, '$1');

/** A txbox table's version, and what of `shape` (columns, their types, indexes) the catalog lacks. */
export async function mysqlTableStatus(db: MysqlQueryable, kind: SchemaTableKind, t: RegisteredTable, schema: string | null, shape: TableShape, expected: number): Promise<SchemaStatus> {
  const { exists, recorded } = await mysqlRecordedVersion(db, t, schema);
  const rows = async <R>(sql: string) => (exists ? await selectRows<R>(db, sql, [schema, t.bareTable]) : []);
  const columns = (await rows<{ name: string; type: string }>(MYSQL_CATALOG.columns)).map((r) => ({ name: String(r.name), type: withoutDisplayWidth(String(r.type)) }));
  const indexes = (await rows<{ name: string }>(MYSQL_CATALOG.indexes)).map((r) => String(r.name));
  return schemaStatusOf(kind, t.table, { exists, recorded, columns, indexes }, shape, expected);
}

/** The outbox table's status. */
export function mysqlSchemaStatus(db: MysqlQueryable, l: TableLayout, schema: string | null, pendingDedupName: string): Promise<SchemaStatus> {
  return mysqlTableStatus(db, 'outbox', l, schema, mysqlExpected(l, pendingDedupName), OUTBOX_SCHEMA_VERSION);
}
