import { invalidOption } from '../../core/errors.js';
import type { ScheduleStore, StoredSchedule } from '../../core/schedule-store.js';
import { SCHEDULES_SCHEMA_VERSION } from '../../core/schema-version.js';
import { checkIdentifier } from '../shared/layout.js';
import { rowToSchedule, SCHEDULE_COLUMNS } from '../shared/schedule-rows.js';
import { columnShapes } from '../shared/schema-registry.js';
import type { PgQueryable } from './driver.js';
import { pgMigrate, type PgMigrationSource } from './migrate.js';
import { postgresVersionSql } from './schema.js';
import { pgTableStatus } from './schema-status.js';

export interface PgSchedulesOptions {
  /** Table name. Default `txbox_schedules`. */
  table?: string;
  /** Schema of the table, created by `migrate()` if missing. Default: the connection's search_path. */
  schema?: string;
}

const TIME = 'timestamp with time zone';
/** The columns as `format_type()` names their types, for `schemaStatus()`. */
const COLUMNS = columnShapes({ name: 'text', cron: 'text', timezone: 'text', topic: 'text', payload: 'text', msg_key: 'text', next_run_at: TIME, updated_at: TIME });

const quote = (name: string) => `"${name}"`;

/** The schedules table's names, the script `migrate()` runs (version record included) and what its status checks; no I/O. */
export function pgSchedulesTable(o: PgSchedulesOptions) {
  if (o === null || typeof o !== 'object') throw invalidOption('options', o, 'must be an object');
  const bareTable = checkIdentifier('table', o.table ?? 'txbox_schedules');
  const schema = o.schema === undefined ? undefined : checkIdentifier('schema', o.schema);
  const table = schema ? `${quote(schema)}.${quote(bareTable)}` : quote(bareTable);
  const ddl = `${schema ? `CREATE SCHEMA IF NOT EXISTS ${quote(schema)};\n` : ''}CREATE TABLE IF NOT EXISTS ${table} (
  name text PRIMARY KEY,
  cron text NOT NULL,
  timezone text,
  topic text NOT NULL,
  payload text NOT NULL,
  msg_key text,
  next_run_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
${postgresVersionSql({ table, bareTable, quote }, SCHEDULES_SCHEMA_VERSION)}`;
  return { table, bareTable, quote, ddl, shape: { columns: COLUMNS, indexes: ['PRIMARY'] } };
}

/** Schedules for PostgreSQL and PGlite. */
export function buildPgSchedules<Tx extends PgQueryable>(kind: string, db: PgMigrationSource & { exec?: (sql: string) => Promise<unknown> }, o: PgSchedulesOptions = {}): ScheduleStore<Tx> {
  const t = pgSchedulesTable(o);
  const { table, ddl } = t;
  const values = (s: StoredSchedule) => [s.name, s.cron, s.timezone, s.topic, s.payload, s.key, s.nextRunAt];
  return {
    kind,
    async save(tx, s) {
      await tx.query(
        `INSERT INTO ${table} AS s (${SCHEDULE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (name) DO UPDATE SET cron = EXCLUDED.cron, timezone = EXCLUDED.timezone, topic = EXCLUDED.topic,
  payload = EXCLUDED.payload, msg_key = EXCLUDED.msg_key, updated_at = now(),
  next_run_at = CASE WHEN s.cron = EXCLUDED.cron AND s.timezone IS NOT DISTINCT FROM EXCLUDED.timezone THEN s.next_run_at ELSE EXCLUDED.next_run_at END`,
        values(s),
      );
    },
    remove: async (tx, name) => (await tx.query(`DELETE FROM ${table} WHERE name = $1 RETURNING 1`, [name])).rows.length === 1,
    list: async () => (await db.query(`SELECT ${SCHEDULE_COLUMNS} FROM ${table} ORDER BY name`)).rows.map(rowToSchedule),
    // SKIP LOCKED: a schedule another scheduler is firing right now is simply not due for this one.
    // Only this process's topics: a schedule it cannot serve is not locked, and stays for one that can.
    due: async (tx, limit, topics) =>
      (await tx.query(`SELECT ${SCHEDULE_COLUMNS} FROM ${table} WHERE next_run_at <= now() AND topic = ANY($2::text[]) ORDER BY next_run_at LIMIT $1 FOR UPDATE SKIP LOCKED`, [limit, [...topics]])).rows.map(rowToSchedule),
    advance: async (tx, name, from, to) =>
      (await tx.query(`UPDATE ${table} SET next_run_at = $3, updated_at = now() WHERE name = $1 AND next_run_at = $2 RETURNING 1`, [name, from, to])).rows.length === 1,
    // Version 1 is the only one yet: a table at any version below gets the same script.
    migrate: () => pgMigrate(db, t, SCHEDULES_SCHEMA_VERSION, () => ddl),
    schemaSql: () => ddl,
    schemaStatus: () => pgTableStatus(db, 'schedules', t, t.shape, SCHEDULES_SCHEMA_VERSION),
  };
}
