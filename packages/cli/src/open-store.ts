import type { InboxStore, OutboxStore, ScheduleStore } from 'txbox';
import { createMysqlInbox, createMysqlSchedules, createMysqlStore } from 'txbox/mysql';
import { createPostgresInbox, createPostgresSchedules, createPostgresStore } from 'txbox/postgres';
import { createSqliteInbox, createSqliteSchedules, createSqliteStore } from 'txbox/sqlite';
import { loadDriver } from './drivers.js';
import { CliError, describeError } from './exit.js';
import { parseStoreUrl, type StoreUrl } from './store-url.js';

/** The inbox and schedules tables on the same connection (`table`: their name, else the default). */
export interface OtherTables {
  inbox(table?: string): InboxStore;
  schedules(table?: string): ScheduleStore;
}

export interface OpenedStore {
  readonly store: OutboxStore;
  readonly location: StoreUrl;
  readonly tables: OtherTables;
  /** Ends the pool or closes the file. Idempotent. */
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Store options (table, schema, claimMode...), checked by the store's own factory. */
  readonly options?: Record<string, unknown>;
  /** SQLite: create the file if it is missing (migrate); otherwise a missing file is an error. */
  readonly create?: boolean;
  /** Where the URL and options came from, for messages (`outboxes[0].store`). */
  readonly field?: string;
}

// The driver modules, typed by the little the CLI calls.
interface PgModule { Pool: new (config: object) => { query(sql: string): Promise<unknown>; end(): Promise<void>; on(e: 'error', f: () => void): void } }
interface MysqlModule { createPool(config: object): { query(sql: string): Promise<unknown>; end(): Promise<void> } }
type SqliteModule = new (path: string, options: object) => { pragma(s: string): unknown; close(): void };

const CONNECT_TIMEOUT_MS = 5000;

/** Opens the database at `url` and a store on it, after checking it answers: errors name the field. */
export async function openStore(url: string, o: OpenOptions = {}): Promise<OpenedStore> {
  const field = o.field ?? 'store';
  const location = parseStoreUrl(url, field);
  const options = o.options ?? {};
  const what = `the ${location.dialect} store ${location.display}`;
  let close: () => Promise<void> = async () => {};
  try {
    if (location.dialect === 'postgres') {
      const { Pool } = await loadDriver<PgModule>('pg', what);
      const pool = new Pool({ connectionString: location.url, max: 4, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
      pool.on('error', () => {}); // an idle connection's error surfaces on its next query
      close = once(() => pool.end());
      const store = make(() => createPostgresStore({ ...options, pool: pool as never }), field);
      await ping(() => pool.query('SELECT 1'), what, field);
      const tables: OtherTables = {
        inbox: (table) => make(() => createPostgresInbox({ pool: pool as never, ...place(options, table) }), field),
        schedules: (table) => make(() => createPostgresSchedules({ pool: pool as never, ...place(options, table) }), field),
      };
      return { store, location, tables, close };
    }
    if (location.dialect === 'mysql') {
      const mysql = await loadDriver<MysqlModule>('mysql2/promise', what);
      const pool = mysql.createPool({ uri: location.url, connectionLimit: 4, connectTimeout: CONNECT_TIMEOUT_MS });
      close = once(() => pool.end());
      const store = make(() => createMysqlStore({ ...options, pool: pool as never }), field);
      await ping(() => pool.query('SELECT 1'), what, field);
      const tables: OtherTables = {
        inbox: (table) => make(() => createMysqlInbox({ pool: pool as never, ...place(options, table) }), field),
        schedules: (table) => make(() => createMysqlSchedules({ pool: pool as never, ...place(options, table) }), field),
      };
      return { store, location, tables, close };
    }
    const Database = await loadDriver<SqliteModule>('better-sqlite3', what);
    let db: InstanceType<SqliteModule>;
    try {
      db = new Database(location.path, { fileMustExist: !o.create });
    } catch (error) {
      throw new CliError(`${field}: cannot open ${what}: ${(error as Error).message}`);
    }
    close = once(async () => db.close());
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 5000');
    const store = make(() => createSqliteStore({ ...options, db: db as never }), field);
    const tables: OtherTables = {
      inbox: (table) => make(() => createSqliteInbox({ db: db as never, ...(table !== undefined ? { table } : {}) }), field),
      schedules: (table) => make(() => createSqliteSchedules({ db: db as never, ...(table !== undefined ? { table } : {}) }), field),
    };
    return { store, location, tables, close };
  } catch (error) {
    await close().catch(() => {});
    throw error;
  }
}

/** The outbox's schema (PostgreSQL schema, MySQL database) holds the other tables too. */
function place(options: Record<string, unknown>, table: string | undefined): { schema?: string; table?: string } {
  return { ...(options.schema !== undefined ? { schema: options.schema as string } : {}), ...(table !== undefined ? { table } : {}) };
}

function make<T>(factory: () => T, field: string): T {
  try {
    return factory();
  } catch (error) {
    // The factory names the option (`option tabel is not a known option`): say where it came from.
    throw describeError(error, `${field}: `);
  }
}

async function ping(query: () => Promise<unknown>, what: string, field: string): Promise<void> {
  try {
    await query();
  } catch (error) {
    throw new CliError(`${field}: cannot reach ${what}: ${(error as Error).message || (error as { code?: string }).code || String(error)}`);
  }
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => (done ??= fn());
}
