import type { SchemaStatus } from './schema-version.js';

/** A recurring message as stored: the cron pattern, what to publish, and when it is next due. */
export interface StoredSchedule {
  readonly name: string;
  readonly cron: string;
  /** IANA time zone the pattern is read in (null: UTC). */
  readonly timezone: string | null;
  readonly topic: string;
  /** The payload as JSON text. */
  readonly payload: string;
  readonly key: string | null;
  readonly nextRunAt: Date;
}

/**
 * The port a database implements for schedules. `advance` is the guard that makes each tick
 * happen once across processes: it moves `nextRunAt` only if it still holds the value the caller
 * read, inside the transaction that publishes the tick.
 */
export interface ScheduleStore<Tx = unknown> {
  readonly kind: string;
  /**
   * Inserts or replaces the schedule by name. Replacing one with the same cron pattern and time
   * zone keeps its stored `nextRunAt`: services declare their schedules at every start, and a
   * restart must not push back a tick that is due and not yet fired. A new pattern or time zone
   * takes the caller's `nextRunAt`.
   */
  save(tx: Tx, schedule: StoredSchedule): Promise<void>;
  saveSync?(tx: Tx, schedule: StoredSchedule): void;
  remove(tx: Tx, name: string): Promise<boolean>;
  removeSync?(tx: Tx, name: string): boolean;
  list(): Promise<StoredSchedule[]>;
  /**
   * Schedules due now by the database's clock whose topic is one of `topics`, oldest first. The
   * others are neither returned nor locked: they belong to processes that consume their topics
   * (several services may share one table). A row another transaction holds may be skipped.
   */
  due(tx: Tx, limit: number, topics: readonly string[]): Promise<StoredSchedule[]>;
  dueSync?(tx: Tx, limit: number, topics: readonly string[]): StoredSchedule[];
  advance(tx: Tx, name: string, from: Date, to: Date): Promise<boolean>;
  advanceSync?(tx: Tx, name: string, from: Date, to: Date): boolean;
  /** Creates the table if missing and records its schema version; refuses a version from the future (SCHEMA_TOO_NEW). */
  migrate(): Promise<void>;
  /** The DDL `migrate()` runs on a new database, version record included. */
  schemaSql(): string;
  /** The table's recorded version and any columns, indexes or column types that differ, from the catalog. */
  schemaStatus?(): Promise<SchemaStatus>;
}
