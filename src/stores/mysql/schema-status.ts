import { TxboxError } from '../../core/errors.js';
import { schemaStatusOf, SCHEMA_REGISTRY_TABLE, type SchemaStatus } from '../../core/schema-version.js';
import type { TableLayout } from '../shared/layout.js';
import { selectRows, type MysqlPoolLike, type MysqlQueryable } from './driver.js';
import { MYSQL_CATALOG, mysqlExpected } from './schema.js';

/** Whether the table exists and the version its registry row records (null: none). */
export async function mysqlRecordedVersion(db: MysqlQueryable, l: TableLayout, schema: string | null): Promise<{ exists: boolean; recorded: number | null }> {
  const present = async (table: string) => Number((await selectRows(db, MYSQL_CATALOG.exists, [schema, table]))[0]?.n ?? 0) > 0;
  const exists = await present(l.bareTable);
  if (!(await present(SCHEMA_REGISTRY_TABLE))) return { exists, recorded: null };
  const row = (await selectRows(db, MYSQL_CATALOG.recorded(l), [l.bareTable]))[0];
  return { exists, recorded: row ? Number(row.version) : null };
}

export async function mysqlSchemaStatus(db: MysqlQueryable, l: TableLayout, schema: string | null, pendingDedupName: string): Promise<SchemaStatus> {
  const { exists, recorded } = await mysqlRecordedVersion(db, l, schema);
  const names = async (sql: string) => (exists ? (await selectRows<{ name: string }>(db, sql, [schema, l.bareTable])).map((r) => String(r.name)) : []);
  const found = { exists, recorded, columns: await names(MYSQL_CATALOG.columns), indexes: await names(MYSQL_CATALOG.indexes) };
  return schemaStatusOf(l.table, found, mysqlExpected(l, pendingDedupName));
}

const LOCK = 'txbox:migrate';
const LOCK_WAIT_S = 60;

/**
 * Runs `fn` on one connection holding the server-wide named lock, so two migrators never race.
 * MySQL commits each DDL statement on its own: `fn` reads and refuses before it changes anything.
 */
export async function withMigrateLock(pool: MysqlPoolLike, fn: (conn: MysqlQueryable) => Promise<void>): Promise<void> {
  const conn = await pool.getConnection();
  try {
    const got = Number((await selectRows(conn, `SELECT GET_LOCK(?, ?) AS got`, [LOCK, LOCK_WAIT_S]))[0]?.got);
    if (got !== 1) throw new TxboxError('STORE_ERROR', `another migrate() held the lock ${LOCK} for more than ${LOCK_WAIT_S} s`);
    try {
      await fn(conn);
    } finally {
      await conn.query(`SELECT RELEASE_LOCK(?)`, [LOCK]);
    }
  } catch (error) {
    conn.destroy();
    throw error;
  }
  conn.release();
}
