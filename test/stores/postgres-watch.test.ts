import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import pg from 'pg';
import { createOutbox, createRelay, type RelayEvent } from '../../src/core/index.js';
import { createPostgresStore } from '../../src/stores/postgres/index.js';
import { createRecordingProducer } from '../../src/testing/index.js';
import { eventually, PG_URL, uniqueName } from '../support/env.js';

const writerPool = new pg.Pool({ connectionString: PG_URL, max: 2 });
const relayPool = new pg.Pool({ connectionString: PG_URL, max: 3 });
const table = uniqueName('watch');
after(async () => {
  await writerPool.query(`DROP TABLE IF EXISTS "${table}"`);
  await Promise.all([writerPool.end(), relayPool.end()]);
});

it('wakes a relay in another process through LISTEN/NOTIFY when writers notify', async () => {
  // Two pools and two stores stand for two processes: no in-process nudge reaches the relay.
  const writer = createPostgresStore({ pool: writerPool, table, notify: true });
  await writer.migrate();
  const events: RelayEvent[] = [];
  const producer = createRecordingProducer();
  const relay = createRelay({ store: createPostgresStore({ pool: relayPool, table }), producer, pollIntervalMs: 60_000, onEvent: (e) => events.push(e) });
  relay.start();
  try {
    await new Promise((r) => setTimeout(r, 300)); // the relay's first (empty) poll and its LISTEN
    const client = await writerPool.connect();
    try {
      await client.query('BEGIN');
      await createOutbox({ store: writer }).send(client, { topic: 't', payload: 'wake up' });
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    await eventually(() => producer.messages.length === 1, 5000, 'delivery long before the 60 s poll');
    assert.equal(events.filter((e) => e.type === 'watch.failed').length, 0);
  } finally {
    await relay.stop();
  }
});
