import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createMysqlStore } from '../../src/stores/mysql/index.js';
import { createPostgresStore } from '../../src/stores/postgres/index.js';
import { createSqliteStore, type SqliteStore } from '../../src/stores/sqlite/index.js';
import { MYSQL_URL, PG_URL, uniqueName } from '../support/env.js';

/** Thrown inside an ORM's transaction callback to make it roll back; swallowed by `orRollback`. */
const ROLLBACK = Symbol('rollback');

/**
 * Runs `body` in an ORM transaction opened by `run` (which commits when its callback resolves and
 * rolls back when it throws), rolling back on purpose when `commit` is false.
 */
export async function ormTransaction<H, T>(run: (callback: (h: H) => Promise<void>) => Promise<unknown>, body: (h: H) => T | Promise<T>, commit: boolean): Promise<T> {
  let result: T;
  try {
    await run(async (h) => {
      result = await body(h);
      if (!commit) throw ROLLBACK;
    });
  } catch (error) {
    if (error !== ROLLBACK) throw error;
  }
  return result!;
}

/** Stores of txbox on the real servers, each on its own table, dropped by `close()`. */
export function postgresStores() {
  const pool = new pg.Pool({ connectionString: PG_URL, max: 3 });
  const tables: string[] = [];
  return {
    pool,
    async create(prefix: string) {
      const table = uniqueName(prefix);
      tables.push(table);
      const store = createPostgresStore({ pool, table });
      await store.migrate();
      return store;
    },
    async close() {
      for (const table of tables) await pool.query(`DROP TABLE IF EXISTS "${table}"`);
      await pool.end();
    },
  };
}

export function mysqlStores() {
  const pool = mysql.createPool({ uri: MYSQL_URL, connectionLimit: 3, maxIdle: 1, idleTimeout: 3000 });
  const tables: string[] = [];
  return {
    pool,
    async create(prefix: string) {
      const table = uniqueName(prefix);
      tables.push(table);
      const store = createMysqlStore({ pool, table });
      await store.migrate();
      return store;
    },
    async close() {
      for (const table of tables) await pool.query(`DROP TABLE IF EXISTS \`${table}\``);
      await pool.end();
    },
  };
}

/** A better-sqlite3 database per store, in a temporary directory. */
export function sqliteStores(): { create(prefix: string): Promise<{ db: Database.Database; store: SqliteStore }>; close(): Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'txbox-adapters-'));
  const dbs: Database.Database[] = [];
  return {
    async create(prefix: string) {
      const db = new Database(join(dir, `${uniqueName(prefix)}.db`));
      dbs.push(db);
      const store = createSqliteStore({ db });
      await store.migrate();
      return { db, store };
    },
    async close() {
      for (const db of dbs) db.close();
    },
  };
}
