/**
 * SQLite keeps times as integer milliseconds under CHECK (typeof(...) = 'integer'): a fractional
 * `delayMs` raised a raw SqliteError at write, and a producer's fractional `retryInMs` made every
 * settle fail, so the message was claimed and published again forever. Times are rounded up at
 * the boundary (message encoding, settlement) for every store.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { createOutbox, createRelay, type RelayEvent } from '../../src/core/index.js';
import { createSqliteStore } from '../../src/stores/sqlite/index.js';
import { createFakeClock } from '../../src/testing/index.js';

describe('fractional milliseconds (sqlite)', () => {
  it('stores a fractional delayMs, rounded up', async () => {
    const db = new Database(':memory:');
    const clock = createFakeClock();
    const store = createSqliteStore({ db, clock });
    await store.migrate();
    const outbox = createOutbox({ store });
    store.transaction((tx) => outbox.sendSync(tx, { topic: 't', payload: 1, delayMs: 1500.5 }));
    const row = db.prepare('SELECT available_at - created_at AS delay FROM txbox_outbox').get() as { delay: number };
    assert.equal(row.delay, 1501);
  });

  it('settles a failure whose producer asked for a fractional retryInMs', async () => {
    const db = new Database(':memory:');
    const store = createSqliteStore({ db });
    await store.migrate();
    const outbox = createOutbox({ store });
    store.transaction((tx) => outbox.sendSync(tx, { topic: 't', payload: 1 }));
    const events: RelayEvent[] = [];
    let published = 0;
    const relay = createRelay({
      store,
      producer: async (batch) => {
        published += batch.length;
        return { ok: [], failed: batch.map((m) => ({ id: m.id, error: 'busy', retryInMs: 110.5 })) };
      },
      onEvent: (e) => events.push(e),
    });
    await relay.runOnce();
    await relay.runOnce();
    assert.deepEqual(events.filter((e) => e.type === 'settle.failed'), []);
    const row = db.prepare('SELECT attempts, available_at FROM txbox_outbox').get() as { attempts: number; available_at: number };
    assert.equal(row.attempts, 1, 'the failure was not recorded');
    assert.equal(published, 1, 'the message was published again before its retry delay');
  });
});
