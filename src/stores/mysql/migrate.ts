import { TxboxError } from '../../core/errors.js';
import { startingVersion } from '../../core/schema-version.js';
import type { RegisteredTable } from '../shared/schema-registry.js';
import { selectRows, type MysqlPoolLike, type MysqlQueryable } from './driver.js';
import { isAppliedStep } from './schema.js';
import { mysqlRecordedVersion } from './schema-status.js';

const LOCK = 'txbox:migrate';
const LOCK_WAIT_S = 60;

/**
 * Migrates one txbox table (outbox, inbox or schedules) to version `expected`, on one connection
 * holding the server-wide named lock, so two migrators never race. MySQL commits each DDL
 * statement on its own, so the recorded version is read, and a version from the future refused
 * (SCHEMA_TOO_NEW), before anything changes. `statements(from)`: the DDL and version record for
 * a table at version `from` (null: no table yet), run one at a time.
 */
export async function mysqlMigrate(pool: MysqlPoolLike, t: RegisteredTable, schema: string | null, expected: number, statements: (from: number | null) => string[]): Promise<void> {
  await withMigrateLock(pool, async (conn) => {
    const { exists, recorded } = await mysqlRecordedVersion(conn, t, schema);
    for (const statement of statements(startingVersion(t.table, recorded, exists, expected))) {
      // A migrate interrupted between an ADD COLUMN (committed at once) and the version record
      // meets that column again: the step is done.
      await conn.query(statement).catch((error: unknown) => {
        if (!isAppliedStep(error)) throw error;
      });
    }
  });
}

async function withMigrateLock(pool: MysqlPoolLike, fn: (conn: MysqlQueryable) => Promise<void>): Promise<void> {
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
