import Database from 'better-sqlite3';
import pg from 'pg';
import { createConsumers, defineConsumer } from '../../src/consumers/index.js';
import { createPostgresInbox, createPostgresStore } from '../../src/stores/postgres/index.js';
import { createSqliteInbox, createSqliteStore } from '../../src/stores/sqlite/index.js';
import { PG_URL } from '../support/env.js';

/** One database for the consumer crash test, opened the same way by the test and by its child processes. */
export interface ConsumerCrashCase {
  kind: 'postgres' | 'sqlite';
  suffix: string;
  file?: string;
}

const busyWait = (ms: number) => {
  const end = Date.now() + ms;
  while (Date.now() < end);
};

/** The opened case: its consumers, and how to publish to them and read their effects. */
export interface OpenedConsumerCase {
  consumers: { start(): void; stop(): Promise<void> };
  publish(names: string[]): Promise<void>;
  effects(): Promise<{ name: string; n: number }[]>;
  close(): Promise<void>;
}

export async function openConsumerCase(c: ConsumerCrashCase): Promise<OpenedConsumerCase> {
  const topics = ['job'];
  if (c.kind === 'sqlite') {
    const db = new Database(c.file!);
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 5000');
    const store = createSqliteStore({ db, claimTimeoutMs: 1500 });
    const inbox = createSqliteInbox({ db });
    await store.migrate();
    await inbox.migrate();
    db.exec('CREATE TABLE IF NOT EXISTS effects (name TEXT PRIMARY KEY, n INTEGER NOT NULL)');
    const worker = defineConsumer<Database.Database, { name: string }>({ name: 'worker', topics, timeoutMs: 500, handle: (ctx) => {
      ctx.tx.prepare('INSERT INTO effects (name, n) VALUES (?, 1) ON CONFLICT (name) DO UPDATE SET n = n + 1').run(ctx.payload.name);
      busyWait(2); // a kill lands inside the handler's open transaction
    } });
    const consumers = createConsumers({ store, inbox, consumers: [worker], pollIntervalMs: 50 });
    return {
      consumers,
      publish: async (names: string[]) => store.transaction((tx) => consumers.publishSync(tx, names.map((name) => ({ topic: 'job', payload: { name } })))),
      effects: async () => db.prepare('SELECT name, n FROM effects').all() as { name: string; n: number }[],
      close: async () => void db.close(),
    };
  }
  const pool = new pg.Pool({ connectionString: PG_URL, max: 6 });
  const store = createPostgresStore({ pool, table: `outbox_${c.suffix}`, claimTimeoutMs: 1500 });
  const inbox = createPostgresInbox({ pool, table: `inbox_${c.suffix}` });
  await store.migrate();
  await inbox.migrate();
  await pool.query(`CREATE TABLE IF NOT EXISTS "effects_${c.suffix}" (name text PRIMARY KEY, n int NOT NULL)`);
  const worker = defineConsumer<pg.PoolClient, { name: string }>({ name: 'worker', topics, concurrency: 4, timeoutMs: 500, handle: async (ctx) => {
    await ctx.tx.query(`INSERT INTO "effects_${c.suffix}" (name, n) VALUES ($1, 1) ON CONFLICT (name) DO UPDATE SET n = "effects_${c.suffix}".n + 1`, [ctx.payload.name]);
    await new Promise((r) => setTimeout(r, 5)); // a kill lands inside the handler's open transaction
  } });
  const consumers = createConsumers({ store, inbox, consumers: [worker], pollIntervalMs: 50 });
  return {
    consumers,
    publish: (names: string[]) => store.transaction((tx) => consumers.publish(tx, names.map((name) => ({ topic: 'job', payload: { name } })))),
    effects: async () => (await pool.query(`SELECT name, n FROM "effects_${c.suffix}"`)).rows as { name: string; n: number }[],
    close: async () => {
      await pool.query(`DROP TABLE IF EXISTS "outbox_${c.suffix}", "inbox_${c.suffix}", "effects_${c.suffix}"`);
      await pool.end();
    },
  };
}

