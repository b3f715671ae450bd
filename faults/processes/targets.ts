import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { Clock } from '../../src/core/index.js';
import type { OutboxStore } from '../../src/core/index.js';
import { createPostgresStore } from '../../src/stores/postgres/index.js';
import { createSqliteStore } from '../../src/stores/sqlite/index.js';
import { isMysql, tables, type TargetConfig } from './config.js';

/** Connections of one process to the run's database. Errors of idle connections never crash it. */
export function openPgPool(t: TargetConfig, max: number): pg.Pool {
  const pool = new pg.Pool({ connectionString: t.url, max, connectionTimeoutMillis: 10_000 });
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

export function openSqlite(file: string): Database.Database {
  const db = new Database(file, { timeout: 10_000 });
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 10000');
  return db;
}

/** The SQLite file holding a consumer's inbox and effects: another service, another database. */
export const effectsFile = (t: TargetConfig) => `${t.file}-effects`;

export function openMysqlPool(t: TargetConfig, max: number): mysql.Pool {
  return mysql.createPool({ uri: t.url, connectionLimit: max, connectTimeout: 10_000 });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyStore = OutboxStore<any>;

/** The outbox store of the run, over the driver handle the caller opened (possibly wrapped). */
export async function openStore(t: TargetConfig, handle: unknown, clock?: Clock): Promise<AnyStore> {
  const table = tables(t.prefix).outbox;
  const claimTimeoutMs = t.claimTimeoutMs;
  if (t.kind === 'sqlite') {
    return createSqliteStore({ db: handle as Database.Database, table, claimTimeoutMs, ...(clock ? { clock } : {}) });
  }
  if (isMysql(t.kind)) {
    const { createMysqlStore } = await import('../../src/stores/mysql/index.js');
    return createMysqlStore({ pool: handle as mysql.Pool, table, claimTimeoutMs, claimMode: t.kind === 'mysql-lock' ? 'lock' : 'lease' });
  }
  const claimMode = t.kind === 'postgres-lock' ? 'lock' : 'lease';
  return createPostgresStore({ pool: handle as pg.Pool, table, claimMode, claimTimeoutMs, queryTimeoutMs: 5000 });
}
