import assert from 'node:assert/strict';
import { it } from 'node:test';
import Database from 'better-sqlite3';
import { createInbox, startInboxCleanup } from '../../src/core/index.js';
import { createSqliteInbox } from '../../src/stores/sqlite/index.js';
import { createFakeClock, createMemoryInbox, createMemoryStore } from '../../src/testing/index.js';

it('cleans the inbox periodically, in bounded batches, until stopped', async () => {
  const clock = createFakeClock();
  const store = createMemoryStore({ clock });
  const inbox = createInbox({ store: createMemoryInbox({ clock }), windowMs: 1000 });
  for (let i = 0; i < 5; i++) await store.transaction((tx) => inbox.handleOnce(tx, { consumer: 'c', messageId: `m${i}` }, () => i));
  const rounds: number[] = [];
  const stop = startInboxCleanup(inbox, { intervalMs: 10_000, batchSize: 2, clock, onCleanup: (n) => rounds.push(n) });
  await clock.advance(9_999);
  assert.deepEqual(rounds, []);
  await clock.advance(1);
  assert.deepEqual(rounds, [5], 'all expired ids, two per statement');
  await stop();
  await clock.advance(60_000);
  assert.deepEqual(rounds, [5], 'stopped');
});

it('handles a message once inside a synchronous better-sqlite3 transaction', () => {
  const db = new Database(':memory:');
  const store = createSqliteInbox({ db });
  db.exec(store.schemaSql());
  db.exec('CREATE TABLE effects (n INTEGER)');
  const inbox = createInbox({ store, storeResults: true });
  const handle = db.transaction(() => inbox.handleOnceSync(db, { consumer: 'c', messageId: 'm' }, () => db.prepare('INSERT INTO effects VALUES (1)').run().changes));
  assert.deepEqual(handle(), { duplicate: false, result: 1 });
  assert.deepEqual(handle(), { duplicate: true, result: 1 });
  assert.equal((db.prepare('SELECT count(*) AS n FROM effects').get() as { n: number }).n, 1);
  assert.throws(() => createInbox({ store: createMemoryInbox() }).handleOnceSync({} as never, { consumer: 'c', messageId: 'm' }, () => 1), { code: 'NOT_SUPPORTED' });
  db.close();
});
