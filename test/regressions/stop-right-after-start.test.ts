/**
 * Issue 12, defect 5: on PostgreSQL with the watch on, `relay.stop()` called right after
 * `start()` (synchronously, or within a few ms) never resolved: the watch loop registered its
 * stop listener after its LISTEN connection was opened, on a signal that had already aborted,
 * and waited forever for an abort event that had come and gone. `consumers.stop()` hung the same
 * way through its relay, so a process told to stop while starting never exited.
 *
 * Expected: stop() resolves promptly whatever the timing, on every store.
 *
 * Run: node --import tsx --test test/regressions/stop-right-after-start.test.ts
 */
import assert from 'node:assert/strict';
import { PGlite } from '@electric-sql/pglite';
import Database from 'better-sqlite3';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { createConsumers, defineConsumer } from '../../src/consumers/index.js';
import { createRelay, type OutboxStore, type RelayEvent } from '../../src/core/index.js';
import { createPgliteInbox, createPgliteStore } from '../../src/stores/pglite/index.js';
import { createPostgresInbox, createPostgresStore } from '../../src/stores/postgres/index.js';
import { createSqliteStore } from '../../src/stores/sqlite/index.js';
import { PG_URL, sleep, uniqueName } from '../support/env.js';

const DELAYS_MS = [0, 1, 5, 20];
const ROUNDS = 5; // per delay: 20 start/stop pairs per store
// Far above a healthy stop (0–10 ms) yet bounded: stop waits for a claim in flight, which on a
// loaded 2-core machine can take a few seconds to get its connection; a hang never resolves.
const STOP_BOUND_MS = 10_000;

const pool = new pg.Pool({ connectionString: PG_URL, max: 4 });
const pglite = new PGlite();
const sqlite = new Database(':memory:');
const tables: string[] = [];
after(async () => {
  for (const t of tables) await pool.query(`DROP TABLE IF EXISTS "${t}"`);
  await Promise.all([pool.end(), pglite.close()]);
  sqlite.close();
});

/** Fails instead of hanging: a stop that never resolves is the defect. */
async function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not resolve within ${STOP_BOUND_MS} ms`)), STOP_BOUND_MS);
  });
  try {
    return await Promise.race([promise, bound]);
  } finally {
    clearTimeout(timer);
  }
}

async function stopsPromptly(store: OutboxStore): Promise<void> {
  const events: RelayEvent[] = [];
  const relay = createRelay({ store, producer: () => {}, onEvent: (e) => events.push(e) });
  for (const delay of DELAYS_MS) {
    for (let round = 0; round < ROUNDS; round++) {
      relay.start();
      if (delay > 0) await sleep(delay);
      await within(relay.stop(), `stop() ${delay} ms after start(), round ${round + 1}`);
      assert.equal(relay.running, false);
    }
  }
  assert.equal(events.filter((e) => e.type === 'relay.stopped').length, DELAYS_MS.length * ROUNDS);
}

async function pgStore(notify: boolean) {
  const table = uniqueName('stop');
  tables.push(table);
  const store = createPostgresStore({ pool, table, notify });
  await store.migrate();
  return store;
}

describe('stop() right after start() resolves promptly', () => {
  it('PostgreSQL, default options', async () => stopsPromptly(await pgStore(false)));

  it('PostgreSQL, notify on (the relay LISTENs)', async () => stopsPromptly(await pgStore(true)));

  it('PGlite', async () => {
    const store = createPgliteStore({ db: pglite, table: uniqueName('stop') });
    await store.migrate();
    await stopsPromptly(store);
  });

  it('SQLite', async () => {
    const store = createSqliteStore({ db: sqlite, table: uniqueName('stop') });
    await store.migrate();
    await stopsPromptly(store);
  });

  it('consumers on PostgreSQL with notify on, stopped synchronously after start', async () => {
    const store = await pgStore(true);
    const inboxTable = uniqueName('stop_inbox');
    tables.push(inboxTable);
    const inbox = createPostgresInbox({ pool, table: inboxTable });
    await inbox.migrate();
    const consumers = createConsumers({ store, inbox, consumers: [defineConsumer({ name: 'c', topics: ['t'], handle: async () => {} })] });
    for (let round = 0; round < ROUNDS; round++) {
      consumers.start();
      await within(consumers.stop(), `consumers.stop() round ${round + 1}`);
    }
  });

  it('consumers on PGlite, stopped synchronously after start', async () => {
    const store = createPgliteStore({ db: pglite, table: uniqueName('stop') });
    const inbox = createPgliteInbox({ db: pglite, table: uniqueName('stop_inbox') });
    await store.migrate();
    await inbox.migrate();
    const consumers = createConsumers({ store, inbox, consumers: [defineConsumer({ name: 'c', topics: ['t'], handle: async () => {} })] });
    consumers.start();
    await within(consumers.stop(), 'consumers.stop()');
  });
});
