import { systemClock, type Clock } from '../../core/clock.js';
import { invalidOption } from '../../core/errors.js';
import { rejectUnknownOptions } from '../../core/option-keys.js';
import type { ScheduleStore, StoredSchedule } from '../../core/schedule-store.js';
import { SCHEDULES_SCHEMA_VERSION } from '../../core/schema-version.js';
import { checkIdentifier } from '../shared/layout.js';
import { rowToSchedule, SCHEDULE_COLUMNS, type ScheduleRow } from '../shared/schedule-rows.js';
import { columnShapes } from '../shared/schema-registry.js';
import { statementCache, type SqliteDatabaseLike } from './driver.js';
import { sqliteMigrate } from './migrate.js';
import { sqliteVersionSql } from './schema.js';
import { sqliteTableStatus } from './schema-status.js';

/** The declared column types, for `schemaStatus()`. */
const COLUMNS = columnShapes({ name: 'TEXT', cron: 'TEXT', timezone: 'TEXT', topic: 'TEXT', payload: 'TEXT', msg_key: 'TEXT', next_run_at: 'INTEGER' });

export interface SqliteSchedulesOptions {
  db: SqliteDatabaseLike;
  /** Table name. Default `txbox_schedules`. */
  table?: string;
  clock?: Clock;
}

const quote = (name: string) => `"${name}"`;

/** The schedules table's names, the script `migrate()` runs (version record included) and what its status checks; no I/O. */
export function sqliteSchedulesTable(o: { table?: string }) {
  const bareTable = checkIdentifier('table', o.table ?? 'txbox_schedules');
  const table = quote(bareTable);
  const ddl = `CREATE TABLE IF NOT EXISTS ${table} (
  name TEXT PRIMARY KEY,
  cron TEXT NOT NULL,
  timezone TEXT,
  topic TEXT NOT NULL,
  payload TEXT NOT NULL,
  msg_key TEXT,
  next_run_at INTEGER NOT NULL
);
${sqliteVersionSql({ table, bareTable, quote }, SCHEDULES_SCHEMA_VERSION)}`;
  return { table, bareTable, quote, ddl, shape: { columns: COLUMNS, indexes: ['PRIMARY'] } };
}

/** Schedules for SQLite (times in integer milliseconds). */
export function createSqliteSchedules(options: SqliteSchedulesOptions): ScheduleStore<SqliteDatabaseLike> {
  rejectUnknownOptions<SqliteSchedulesOptions>(options, { db: true, table: true, clock: true });
  const db = options?.db;
  if (!db || typeof db.prepare !== 'function') throw invalidOption('db', db, 'must be a better-sqlite3 Database');
  const clock = options.clock ?? systemClock;
  const t = sqliteSchedulesTable(options);
  const { table, ddl } = t;
  const stmt = statementCache();
  const saveSync = (tx: SqliteDatabaseLike, s: StoredSchedule) => {
    stmt(tx, `INSERT INTO ${table} (${SCHEDULE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (name) DO UPDATE SET cron = excluded.cron, timezone = excluded.timezone, topic = excluded.topic,
  payload = excluded.payload, msg_key = excluded.msg_key,
  next_run_at = CASE WHEN cron = excluded.cron AND timezone IS excluded.timezone THEN next_run_at ELSE excluded.next_run_at END`).run(s.name, s.cron, s.timezone, s.topic, s.payload, s.key, s.nextRunAt.getTime());
  };
  const removeSync = (tx: SqliteDatabaseLike, name: string) => stmt(tx, `DELETE FROM ${table} WHERE name = ?`).run(name).changes === 1;
  // Only this process's topics: a schedule it cannot serve stays for a process that can.
  const dueSync = (tx: SqliteDatabaseLike, limit: number, topics: readonly string[]) =>
    (stmt(tx, `SELECT ${SCHEDULE_COLUMNS} FROM ${table} WHERE next_run_at <= ? AND topic IN (SELECT value FROM json_each(?)) ORDER BY next_run_at LIMIT ?`)
      .all(clock.now(), JSON.stringify(topics), limit) as ScheduleRow[]).map(rowToSchedule);
  const advanceSync = (tx: SqliteDatabaseLike, name: string, from: Date, to: Date) =>
    stmt(tx, `UPDATE ${table} SET next_run_at = ? WHERE name = ? AND next_run_at = ?`).run(to.getTime(), name, from.getTime()).changes === 1;
  return {
    kind: 'sqlite',
    saveSync,
    removeSync,
    dueSync,
    advanceSync,
    save: async (tx, s) => saveSync(tx, s),
    remove: async (tx, name) => removeSync(tx, name),
    due: async (tx, limit, topics) => dueSync(tx, limit, topics),
    advance: async (tx, name, from, to) => advanceSync(tx, name, from, to),
    list: async () => (stmt(db, `SELECT ${SCHEDULE_COLUMNS} FROM ${table} ORDER BY name`).all() as ScheduleRow[]).map(rowToSchedule),
    // Version 1 is the only one yet: a table at any version below gets the same script.
    migrate: async () => sqliteMigrate(db, t, SCHEDULES_SCHEMA_VERSION, () => ddl),
    schemaSql: () => ddl,
    schemaStatus: async () => sqliteTableStatus(db, 'schedules', t, t.shape, SCHEDULES_SCHEMA_VERSION),
  };
}
