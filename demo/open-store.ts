import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { MessageInput, OutboxStore } from '../src/core/index.js';
import { createOutbox } from '../src/core/index.js';
import { createMysqlStore } from '../src/stores/mysql/index.js';
import { createPostgresStore } from '../src/stores/postgres/index.js';
import { createSqliteStore } from '../src/stores/sqlite/index.js';

/** The order service's view of a database: one transaction that saves an order and its message. */
export interface DemoDatabase {
  readonly label: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly store: OutboxStore<any>;
  saveOrder(order: Order, message: MessageInput): Promise<void>;
  close(): Promise<void>;
}

export interface Order {
  id: string;
  customer: string;
  seq: number;
  amountCents: number;
}

/** `postgres://...` opens PostgreSQL, `mysql://...` MySQL or MariaDB; anything else is a SQLite file path. */
export async function openDemoDatabase(url: string): Promise<DemoDatabase> {
  if (/^postgres(ql)?:\/\//.test(url)) return openPostgres(url);
  if (/^mysql:\/\//.test(url)) return openMysql(url);
  return openSqlite(url);
}

async function openSqlite(file: string): Promise<DemoDatabase> {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE IF NOT EXISTS demo_orders (id TEXT PRIMARY KEY, customer TEXT NOT NULL, seq INTEGER NOT NULL, amount_cents INTEGER NOT NULL)');
  const store = createSqliteStore({ db, table: 'demo_outbox' });
  await store.migrate();
  const outbox = createOutbox({ store });
  const insert = db.prepare('INSERT INTO demo_orders (id, customer, seq, amount_cents) VALUES (?, ?, ?, ?)');
  return {
    label: `SQLite ${file}`,
    store,
    async saveOrder(order, message) {
      // better-sqlite3 transactions are synchronous: the order row and its message commit together.
      store.transaction((tx) => {
        insert.run(order.id, order.customer, order.seq, order.amountCents);
        outbox.sendSync(tx, message);
      });
    },
    close: async () => {
      db.close();
    },
  };
}

async function openPostgres(url: string): Promise<DemoDatabase> {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  await pool.query('CREATE TABLE IF NOT EXISTS demo_orders (id uuid PRIMARY KEY, customer text NOT NULL, seq int NOT NULL, amount_cents int NOT NULL)');
  const store = createPostgresStore({ pool, table: 'demo_outbox' });
  await store.migrate();
  const outbox = createOutbox({ store });
  return {
    label: `PostgreSQL ${new URL(url).host}${new URL(url).pathname}`,
    store,
    async saveOrder(order, message) {
      await store.transaction(async (client) => {
        await client.query('INSERT INTO demo_orders (id, customer, seq, amount_cents) VALUES ($1, $2, $3, $4)', [order.id, order.customer, order.seq, order.amountCents]);
        await outbox.send(client, message);
      });
    },
    close: () => pool.end(),
  };
}

async function openMysql(url: string): Promise<DemoDatabase> {
  const pool = mysql.createPool({ uri: url, connectionLimit: 10 });
  await pool.query('CREATE TABLE IF NOT EXISTS demo_orders (id CHAR(36) PRIMARY KEY, customer VARCHAR(100) NOT NULL, seq INT NOT NULL, amount_cents INT NOT NULL)');
  const store = createMysqlStore({ pool, table: 'demo_outbox' });
  await store.migrate();
  const outbox = createOutbox({ store });
  return {
    label: `MySQL ${new URL(url).host}${new URL(url).pathname}`,
    store,
    async saveOrder(order, message) {
      await store.transaction(async (conn) => {
        await conn.query('INSERT INTO demo_orders (id, customer, seq, amount_cents) VALUES (?, ?, ?, ?)', [order.id, order.customer, order.seq, order.amountCents]);
        await outbox.send(conn, message);
      });
    },
    close: () => pool.end(),
  };
}
