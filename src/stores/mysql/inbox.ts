import { schemaMissing, transactionConflict } from '../../core/errors.js';
import type { InboxStore } from '../../core/inbox.js';
import { INBOX_SCHEMA_VERSION } from '../../core/schema-version.js';
import { columnShapes } from '../shared/schema-registry.js';
import { mysqlMigrate } from './migrate.js';
import { mysqlVersionStatements } from './schema.js';
import { mysqlTableStatus } from './schema-status.js';
import { affectedRows, checkTransactionHandle, duplicateKeyIndex, isDeadlock, isNoSuchTable, selectRows, type MysqlTransaction } from './driver.js';
import { resolveTableOptions, type MysqlTableOptions } from './options.js';
import { resolveLayout } from '../shared/layout.js';
import { timed } from './sql.js';

export interface MysqlInboxOptions extends MysqlTableOptions {
  /** Table name. Default `txbox_inbox`. */
  table?: string;
}

/** Server-side limit of the cleaner's statements (they run outside any caller's transaction). */
const CLEANUP_TIMEOUT_MS = 10_000;
const NOW = 'UTC_TIMESTAMP(6)';
/** Column types as `information_schema` names them, for `schemaStatus()`. */
const COLUMNS = columnShapes({ consumer: 'varbinary(1020)', message_id: 'varbinary(1020)', received_at: 'datetime(6)', result: 'longtext' });

/** The inbox table's names, the statements `migrate()` runs (version record included) and what its status checks; no I/O. */
export function mysqlInboxTable(o: { table?: string; schema?: string }) {
  const { table, bareTable, quote } = resolveLayout({ table: o.table, schema: o.schema }, 'txbox_inbox', '`');
  const statements = [
    `CREATE TABLE IF NOT EXISTS ${table} (
  consumer VARBINARY(1020) NOT NULL,
  message_id VARBINARY(1020) NOT NULL,
  received_at DATETIME(6) NOT NULL,
  result LONGTEXT NULL,
  PRIMARY KEY (consumer, message_id),
  KEY ${quote('txbox_received')} (received_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
    ...mysqlVersionStatements({ table, bareTable, quote }, INBOX_SCHEMA_VERSION),
  ];
  return { table, bareTable, quote, statements, shape: { columns: COLUMNS, indexes: ['PRIMARY', 'txbox_received'] } };
}

/**
 * The inbox for MySQL / MariaDB: the (consumer, message_id) primary key makes the INSERT the
 * guard. A plain INSERT whose duplicate-key error means "already handled" — not INSERT IGNORE,
 * which would also turn other errors into warnings. InnoDB checks the key against the latest
 * rows, not the transaction's snapshot, and a duplicate of an uncommitted row waits for that
 * transaction: it then fails as a duplicate if it committed, or inserts if it rolled back. The
 * failed statement alone is rolled back; the caller's transaction goes on. When the first
 * handling rolls back, the waiting duplicates deadlock on the key and all but one fail with a
 * TRANSACTION_CONFLICT TxboxError: their transactions are rolled back and must be run again.
 *
 * The ids are VARBINARY so they compare byte for byte: with a text collation, ids differing only
 * in trailing spaces (or case, with a `_ci` collation) would be one id, and a message skipped.
 */
export function createMysqlInbox(options: MysqlInboxOptions): InboxStore<MysqlTransaction> {
  const { pool, table, bareTable, schema } = resolveTableOptions(options, 'txbox_inbox');
  const t = mysqlInboxTable(options);
  const where = 'WHERE consumer = ? AND message_id = ?';
  const older = `received_at < ${NOW} - INTERVAL ? MICROSECOND`;
  // User-level locks are server-wide and their names are limited to 64 characters: hash the table.
  const database = schema === undefined ? 'COALESCE(DATABASE(), \'\')' : `'${schema}'`;
  const lockName = `CONCAT('txbox:inbox:', SHA1(CONCAT(${database}, '.', '${bareTable}')))`;
  const pick = timed(`SELECT consumer, message_id FROM ${table} WHERE ${older} ORDER BY received_at LIMIT ?`, CLEANUP_TIMEOUT_MS);
  // By primary key, with the age checked again: a row handled again since it was picked stays.
  const remove = (n: number) =>
    timed(`DELETE FROM ${table} WHERE (consumer, message_id) IN (${Array.from({ length: n }, () => '(?, ?)').join(', ')}) AND ${older}`, CLEANUP_TIMEOUT_MS);

  return {
    kind: 'mysql',
    async record(tx, consumer, messageId) {
      checkTransactionHandle(tx, pool);
      try {
        await tx.query(`INSERT INTO ${table} (consumer, message_id, received_at) VALUES (?, ?, ${NOW})`, [consumer, messageId]);
        return true;
      } catch (error) {
        if (duplicateKeyIndex(error) === 'PRIMARY') return false;
        if (isNoSuchTable(error)) throw schemaMissing('inbox', error);
        // Deliveries of one id waiting on a first handling that rolls back each hold a shared
        // lock on the key, and each needs an exclusive one to insert: InnoDB kills all but one.
        // The victim's whole transaction is gone (the connection is back in autocommit), so the
        // INSERT cannot be retried here: the caller runs the transaction again.
        if (isDeadlock(error)) throw transactionConflict(error);
        throw error;
      }
    },
    // A locking read: at REPEATABLE READ a plain SELECT reads the transaction's snapshot, which
    // can predate the first handling's commit. The duplicate INSERT already holds this shared lock.
    async storedResult(tx, consumer, messageId) {
      const rows = await selectRows<{ result: string | null }>(tx, `SELECT result FROM ${table} ${where} LOCK IN SHARE MODE`, [consumer, messageId]);
      return rows[0]?.result ?? null;
    },
    async saveResult(tx, consumer, messageId, json) {
      await tx.query(`UPDATE ${table} SET result = ? ${where}`, [json, consumer, messageId]);
    },
    /**
     * One cleaner at a time: a user-level lock taken without waiting on a connection of its own
     * (a cleaner that finds it taken skips the round). The server frees it if that connection
     * dies. Rows are picked with a plain read and deleted by primary key in an autocommit
     * statement, so no gap lock ever makes a handler's INSERT wait for the cleaner.
     */
    async cleanup(windowMs, limit) {
      const conn = await pool.getConnection();
      let locked = false;
      try {
        locked = Number((await selectRows(conn, `SELECT GET_LOCK(${lockName}, 0) AS got`))[0]?.got) === 1;
        if (!locked) return 0;
        const ageUs = Math.round(windowMs * 1000);
        const rows = await selectRows<{ consumer: unknown; message_id: unknown }>(conn, pick, [ageUs, limit]);
        if (rows.length === 0) return 0;
        return await affectedRows(conn, remove(rows.length), [...rows.flatMap((r) => [r.consumer, r.message_id]), ageUs]);
      } finally {
        if (locked) await conn.query(`DO RELEASE_LOCK(${lockName})`).then(() => conn.release(), () => conn.destroy());
        else conn.release();
      }
    },
    // Version 1 is the only one yet: a table at any version below gets the same statements.
    migrate: () => mysqlMigrate(pool, t, schema ?? null, INBOX_SCHEMA_VERSION, () => t.statements),
    schemaSql: () => t.statements.map((s) => `${s};`).join('\n'),
    schemaStatus: () => mysqlTableStatus(pool, 'inbox', t, schema ?? null, t.shape, INBOX_SCHEMA_VERSION),
  };
}
