import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { createOutbox, type MessageInput, type OutboxStore } from '../../src/core/index.js';
import { createMysqlStore } from '../../src/stores/mysql/index.js';
import { createPostgresStore } from '../../src/stores/postgres/index.js';
import { createSqliteStore } from '../../src/stores/sqlite/index.js';
import { PG_URL, MYSQL_URL } from '../support/env.js';


/** Everything a relay process needs to open the same outbox as the test: plain JSON, passed to a child. */
export interface CrashCase {
  kind: 'postgres-lock' | 'postgres-lease' | 'sqlite' | 'mysql' | 'mysql-lock';
  table: string;
  /** SQLite file, when kind is sqlite. */
  file?: string;
  claimTimeoutMs: number;
}

export interface OpenedStore {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  store: OutboxStore<any>;
  /** Writes messages in one committed transaction, the way a user of this store would. */
  write(messages: MessageInput[]): Promise<void>;
  pending(): Promise<number>;
  /** Removes the table (or file) and closes connections. */
  drop(): Promise<void>;
  close(): Promise<void>;
}

export async function openCrashStore(c: CrashCase): Promise<OpenedStore> {
  if (c.kind === 'sqlite') {
    const db = new Database(c.file!);
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 5000');
    const store = createSqliteStore({ db, table: c.table, claimTimeoutMs: c.claimTimeoutMs });
    const outbox = createOutbox({ store });
    return {
      store,
      write: async (messages) => void store.transaction((tx) => outbox.sendSync(tx, messages)),
      pending: async () => (db.prepare(`SELECT count(*) AS n FROM "${c.table}"`).get() as { n: number }).n,
      drop: async () => {
        db.exec(`DROP TABLE IF EXISTS "${c.table}"`);
      },
      close: async () => {
        db.close();
      },
    };
  }
  if (c.kind === 'mysql' || c.kind === 'mysql-lock') {
    const pool = mysql.createPool({ uri: MYSQL_URL, connectionLimit: 4 });
    const store = createMysqlStore({ pool, table: c.table, claimTimeoutMs: c.claimTimeoutMs, claimMode: c.kind === 'mysql' ? 'lease' : 'lock' });
    const outbox = createOutbox({ store });
    return {
      store,
      write: (messages) => store.transaction(async (conn) => void (await outbox.send(conn, messages))),
      pending: async () => Number((await pool.query<mysql.RowDataPacket[]>(`SELECT count(*) AS n FROM \`${c.table}\``))[0][0]!.n),
      drop: async () => void (await pool.query(`DROP TABLE IF EXISTS \`${c.table}\``)),
      close: () => pool.end(),
    };
  }
  const pool = new pg.Pool({ connectionString: PG_URL, max: 4 });
  const claimMode = c.kind === 'postgres-lock' ? 'lock' : 'lease';
  const store = createPostgresStore({ pool, table: c.table, claimMode, claimTimeoutMs: c.claimTimeoutMs });
  const outbox = createOutbox({ store });
  return {
    store,
    write: (messages) => store.transaction(async (client) => void (await outbox.send(client, messages))),
    pending: async () => (await pool.query(`SELECT count(*)::int AS n FROM "${c.table}"`)).rows[0].n,
    drop: async () => void (await pool.query(`DROP TABLE IF EXISTS "${c.table}"`)),
    close: () => pool.end(),
  };
}
