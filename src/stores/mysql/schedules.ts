import { invalidArgument } from '../../core/errors.js';
import type { ScheduleStore, StoredSchedule } from '../../core/schedule-store.js';
import { SCHEDULES_SCHEMA_VERSION } from '../../core/schema-version.js';
import { columnShapes } from '../shared/schema-registry.js';
import { mysqlMigrate } from './migrate.js';
import { mysqlVersionStatements } from './schema.js';
import { mysqlTableStatus } from './schema-status.js';
import { rowToSchedule, type ScheduleRow } from '../shared/schedule-rows.js';
import { affectedRows, selectRows, type MysqlTransaction } from './driver.js';
import { resolveTableOptions, type MysqlTableOptions } from './options.js';
import { resolveLayout } from '../shared/layout.js';
import { isoUtc, timed, utcDatetime } from './sql.js';

export interface MysqlSchedulesOptions extends MysqlTableOptions {
  /** Table name. Default `txbox_schedules`. */
  table?: string;
}

const LIST_TIMEOUT_MS = 10_000;
const LAST_DATETIME_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
/** Column types as `information_schema` names them, for `schemaStatus()`. */
const COLUMNS = columnShapes({ name: 'varchar(255)', cron: 'text', timezone: 'text', topic: 'text', payload: 'longtext', msg_key: 'text', next_run_at: 'datetime(3)', updated_at: 'datetime(6)' });

/** The schedules table's names, the statements `migrate()` runs (version record included) and what its status checks; no I/O. */
export function mysqlSchedulesTable(o: { table?: string; schema?: string }) {
  const { table, bareTable, quote } = resolveLayout({ table: o.table, schema: o.schema }, 'txbox_schedules', '`');
  const statements = [
    `CREATE TABLE IF NOT EXISTS ${table} (
  name VARCHAR(255) NOT NULL,
  cron TEXT NOT NULL,
  timezone TEXT NULL,
  topic TEXT NOT NULL,
  payload LONGTEXT NOT NULL,
  msg_key TEXT NULL,
  next_run_at DATETIME(3) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  PRIMARY KEY (name),
  KEY ${quote('txbox_due')} (next_run_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
    ...mysqlVersionStatements({ table, bareTable, quote }, SCHEDULES_SCHEMA_VERSION),
  ];
  return { table, bareTable, quote, statements, shape: { columns: COLUMNS, indexes: ['PRIMARY', 'txbox_due'] } };
}

/**
 * Schedules for MySQL / MariaDB. `next_run_at` is DATETIME(3) holding UTC: exactly a JavaScript
 * Date's precision, so the value `due` returns compares equal in `advance`. It is written as UTC
 * text and read back formatted in SQL, so no session or driver time zone shifts it.
 */
export function createMysqlSchedules(options: MysqlSchedulesOptions): ScheduleStore<MysqlTransaction> {
  const { pool, table, schema } = resolveTableOptions(options, 'txbox_schedules');
  const t = mysqlSchedulesTable(options);
  const columns = `name, cron, timezone, topic, payload, msg_key, ${isoUtc('next_run_at')} AS next_run_at`;
  const at = (field: string, d: Date) => {
    if (!(d instanceof Date) || !(d.getTime() <= LAST_DATETIME_MS && d.getUTCFullYear() >= 1000)) {
      throw invalidArgument(field, d, 'must be a date between the years 1000 and 9999 (the DATETIME range)');
    }
    return utcDatetime(d);
  };
  const read = (rows: ScheduleRow[]) => rows.map(rowToSchedule);

  return {
    kind: 'mysql',
    async save(tx, s: StoredSchedule) {
      // next_run_at first: MySQL applies the assignments left to right, so cron and timezone still
      // hold the stored values there (the same pattern keeps its due tick, see ScheduleStore.save).
      await tx.query(
        `INSERT INTO ${table} (name, cron, timezone, topic, payload, msg_key, next_run_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, CAST(? AS DATETIME(3)), UTC_TIMESTAMP(6))
ON DUPLICATE KEY UPDATE next_run_at = IF(cron <=> VALUES(cron) AND timezone <=> VALUES(timezone), next_run_at, VALUES(next_run_at)),
  cron = VALUES(cron), timezone = VALUES(timezone), topic = VALUES(topic), payload = VALUES(payload),
  msg_key = VALUES(msg_key), updated_at = VALUES(updated_at)`,
        [s.name, s.cron, s.timezone, s.topic, s.payload, s.key, at('schedule.nextRunAt', s.nextRunAt)],
      );
    },
    remove: async (tx, name) => (await affectedRows(tx, `DELETE FROM ${table} WHERE name = ?`, [name])) === 1,
    list: async () => read(await selectRows(pool, timed(`SELECT ${columns} FROM ${table} ORDER BY name`, LIST_TIMEOUT_MS))),
    // A plain read, no FOR UPDATE: InnoDB would lock every row its index range scans, those of
    // other topics too, and at REPEATABLE READ keep them, so another service sharing the table
    // would skip its own schedules. `advance` is the guard: a tick another process fires first
    // matches nothing once that process commits.
    due: async (tx, limit, topics) =>
      topics.length === 0
        ? []
        : read(await selectRows(
            tx,
            `SELECT ${columns} FROM ${table} WHERE next_run_at <= UTC_TIMESTAMP(6) AND topic IN (${topics.map(() => '?').join(', ')}) ORDER BY next_run_at LIMIT ?`,
            [...topics, limit],
          )),
    // The compare-and-set that makes a tick fire once: an UPDATE reads the latest committed row,
    // whatever the transaction's snapshot, so a tick another process already advanced matches nothing.
    advance: async (tx, name, from, to) =>
      (await affectedRows(
        tx,
        `UPDATE ${table} SET next_run_at = CAST(? AS DATETIME(3)), updated_at = UTC_TIMESTAMP(6) WHERE name = ? AND next_run_at = CAST(? AS DATETIME(3))`,
        [at('to', to), name, at('from', from)],
      )) === 1,
    // Version 1 is the only one yet: a table at any version below gets the same statements.
    migrate: () => mysqlMigrate(pool, t, schema ?? null, SCHEDULES_SCHEMA_VERSION, () => t.statements),
    schemaSql: () => t.statements.map((s) => `${s};`).join('\n'),
    schemaStatus: () => mysqlTableStatus(pool, 'schedules', t, schema ?? null, t.shape, SCHEDULES_SCHEMA_VERSION),
  };
}
