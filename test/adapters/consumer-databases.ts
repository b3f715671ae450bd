import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { createMysqlInbox, createMysqlSchedules, createMysqlStore } from '../../src/stores/mysql/index.js';
import { createPostgresInbox, createPostgresSchedules, createPostgresStore } from '../../src/stores/postgres/index.js';
import { createSqliteInbox, createSqliteSchedules, createSqliteStore, type SqliteDatabaseLike, type SqliteStore } from '../../src/stores/sqlite/index.js';
import type { InboxStore, ScheduleStore } from '../../src/core/index.js';
import { MYSQL_URL, PG_URL, uniqueName } from '../support/env.js';
import { mysqlTestDatabases } from '../support/mysql.js';

/** The business table the consumer tests' handlers write, one row per order. */
export interface ShipmentRow {
  order_id: string;
  attempt: number;
}

const rows = (found: ShipmentRow[]) => found.map((r) => ({ orderId: r.order_id, attempt: Number(r.attempt) }));

/**
 * PostgreSQL for a stack's consumer tests: each `create()` gets a schema of its own holding
 * txbox's tables (outbox, inbox, schedules) and the `shipments` table; `close()` drops them all.
 */
export function pgConsumerDatabases() {
  const pool = new pg.Pool({ connectionString: PG_URL, max: 4 });
  const schemas: string[] = [];
  return {
    pool,
    async create() {
      const schema = uniqueName('consumers');
      schemas.push(schema);
      const store = createPostgresStore({ pool, schema });
      const inbox = createPostgresInbox({ pool, schema });
      const schedules = createPostgresSchedules({ pool, schema });
      for (const part of [store, inbox, schedules]) await part.migrate();
      await pool.query(`CREATE TABLE "${schema}".shipments (order_id text PRIMARY KEY, attempt int NOT NULL)`);
      return {
        schema,
        store,
        inbox,
        schedules,
        shipments: async () => rows((await pool.query(`SELECT order_id, attempt FROM "${schema}".shipments ORDER BY order_id`)).rows),
        handled: async (consumer: string) => Number((await pool.query(`SELECT count(*) AS n FROM "${schema}".txbox_inbox WHERE consumer = $1`, [consumer])).rows[0].n),
      };
    },
    async close() {
      for (const schema of schemas) await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await pool.end();
    },
  };
}

/** The same on MariaDB: a database of its own per `create()`, with its URL for the stack. */
export function mysqlConsumerDatabases() {
  const dbs = mysqlTestDatabases();
  return {
    async create() {
      const { name, pool } = await dbs.create();
      const store = createMysqlStore({ pool });
      const inbox = createMysqlInbox({ pool });
      const schedules = createMysqlSchedules({ pool });
      for (const part of [store, inbox, schedules]) await part.migrate();
      await pool.query('CREATE TABLE shipments (order_id VARCHAR(100) PRIMARY KEY, attempt INT NOT NULL) ENGINE=InnoDB');
      const url = new URL(MYSQL_URL);
      url.pathname = `/${name}`;
      return {
        /** The database's URL, for the stack's own connections. */
        url: url.toString(),
        pool: pool as mysql.Pool,
        store,
        inbox,
        schedules,
        shipments: async () => rows((await pool.query('SELECT order_id, attempt FROM shipments ORDER BY order_id'))[0] as ShipmentRow[]),
        handled: async (consumer: string) => Number(((await pool.query('SELECT COUNT(*) AS n FROM txbox_inbox WHERE consumer = ?', [consumer]))[0] as { n: unknown }[])[0]!.n),
      };
    },
    close: () => dbs.dropAll(),
  };
}

/** What each `create()` of the SQLite databases gives. */
export interface SqliteConsumerDatabase {
  db: Database.Database;
  store: SqliteStore<Database.Database>;
  inbox: InboxStore<SqliteDatabaseLike>;
  schedules: ScheduleStore<SqliteDatabaseLike>;
  shipments(): Promise<{ orderId: string; attempt: number }[]>;
  handled(consumer: string): Promise<number>;
}

/** The same on SQLite: a better-sqlite3 Database of its own per `create()`, in a temporary directory. */
export function sqliteConsumerDatabases(): { create(): Promise<SqliteConsumerDatabase>; close(): Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'txbox-consumers-'));
  const dbs: Database.Database[] = [];
  return {
    async create() {
      const db = new Database(join(dir, `${uniqueName('consumers')}.db`));
      dbs.push(db);
      const store = createSqliteStore({ db });
      const inbox = createSqliteInbox({ db });
      const schedules = createSqliteSchedules({ db });
      for (const part of [store, inbox, schedules]) await part.migrate();
      db.exec('CREATE TABLE shipments (order_id TEXT PRIMARY KEY, attempt INTEGER NOT NULL)');
      return {
        db,
        store,
        inbox,
        schedules,
        shipments: async () => rows(db.prepare('SELECT order_id, attempt FROM shipments ORDER BY order_id').all() as ShipmentRow[]),
        handled: async (consumer: string) => Number((db.prepare('SELECT count(*) AS n FROM txbox_inbox WHERE consumer = ?').get(consumer) as { n: number }).n),
      };
    },
    async close() {
      for (const db of dbs) db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
