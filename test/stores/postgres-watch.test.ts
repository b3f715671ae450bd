import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import pg from 'pg';
import { createOutbox, createRelay, type RelayEvent } from '../../src/core/index.js';
import { createPostgresStore } from '../../src/stores/postgres/index.js';
import { createRecordingProducer } from '../../src/testing/index.js';
import { eventually, PG_URL, sleep, uniqueName } from '../support/env.js';

const writerPool = new pg.Pool({ connectionString: PG_URL, max: 2 });
const relayPool = new pg.Pool({ connectionString: PG_URL, max: 3 });
const table = uniqueName('watch');
after(async () => {
  await writerPool.query(`DROP TABLE IF EXISTS "${table}"`);
  await Promise.all([writerPool.end(), relayPool.end()]);
});

it('wakes a relay in another process through LISTEN/NOTIFY when writers and relay have notify on', async () => {
  // Two pools and two stores stand for two processes: no in-process nudge reaches the relay.
  const writer = createPostgresStore({ pool: writerPool, table, notify: true });
  await writer.migrate();
  const events: RelayEvent[] = [];
  const producer = createRecordingProducer();
  const relayStore = createPostgresStore({ pool: relayPool, table, notify: true });
  const relay = createRelay({ store: relayStore, producer, pollIntervalMs: 60_000, onEvent: (e) => events.push(e) });
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

/** A pool whose every checked-out client is remembered, to count what is left attached to it. */
function recordingPool(max: number) {
  const pool = new pg.Pool({ connectionString: PG_URL, max });
  const clients = new Set<pg.PoolClient>();
  const wrapped = {
    query: pool.query.bind(pool) as typeof pool.query,
    connect: async () => {
      const client = await pool.connect();
      clients.add(client);
      return client;
    },
  };
  const checkedOut = () => pool.totalCount - pool.idleCount;
  return { pool, wrapped, clients, checkedOut };
}

/** Sessions whose last statement is the relay's LISTEN on this table's channel. */
const listeners = async (pool: pg.Pool) =>
  (await pool.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE query = $1 AND state = 'idle'`, [`LISTEN "txbox_${table}"`])).rows[0].n as number;

// Issue 12, defect 9: with notify off nothing will NOTIFY, yet every relay held a pooled
// connection for LISTEN, a connection the documented pool sizing did not count.
it('a relay whose store does not notify holds no connection while idle (no LISTEN)', async () => {
  const { pool, wrapped, checkedOut } = recordingPool(3);
  const relay = createRelay({ store: createPostgresStore({ pool: wrapped, table }), producer: () => {}, pollIntervalMs: 60_000 });
  relay.start();
  try {
    await sleep(300); // the first (empty) claim has come and gone, and a LISTEN would be open
    assert.equal(checkedOut(), 0, 'no connection held by an idle relay');
    assert.equal(await listeners(pool), 0, 'no session LISTENs on the channel');
  } finally {
    await relay.stop();
    await pool.end();
  }
});

it('a relay whose store notifies holds exactly one connection, for LISTEN, and gives it back on stop', async () => {
  const { pool, wrapped, checkedOut } = recordingPool(3);
  const relay = createRelay({ store: createPostgresStore({ pool: wrapped, table, notify: true }), producer: () => {}, pollIntervalMs: 60_000 });
  relay.start();
  try {
    await eventually(async () => (await listeners(pool)) === 1, 2000, 'the LISTEN session');
    await sleep(100);
    assert.equal(checkedOut(), 1, 'only the LISTEN connection while idle');
  } finally {
    await relay.stop();
  }
  assert.equal(checkedOut(), 0, 'given back on stop');
  await pool.end();
});

// Issue 12, defect 14: the watch left its 'error' listener on the pooled client at each stop,
// so a relay started and stopped ~11 times drew MaxListenersExceededWarning.
it('20 start/stop cycles leave no listener behind on the pooled clients', async () => {
  const { pool, wrapped, clients } = recordingPool(2);
  const warnings: Error[] = [];
  const onWarning = (w: Error) => void (w.name === 'MaxListenersExceededWarning' && warnings.push(w));
  process.on('warning', onWarning);
  const relay = createRelay({ store: createPostgresStore({ pool: wrapped, table, notify: true }), producer: () => {}, pollIntervalMs: 60_000 });
  try {
    for (let cycle = 0; cycle < 20; cycle++) {
      relay.start();
      await eventually(async () => (await listeners(pool)) === 1, 2000, `LISTEN in cycle ${cycle + 1}`);
      await relay.stop();
    }
    await sleep(10); // a warning is emitted on the next tick
    assert.ok(clients.size > 0);
    for (const client of clients) {
      // An idle client carries only the pool's own 'error' listener.
      assert.ok(client.listenerCount('error') <= 1, `${client.listenerCount('error')} 'error' listeners left on a pooled client`);
      assert.equal(client.listenerCount('notification'), 0);
    }
    assert.deepEqual(warnings.map((w) => w.message), []);
  } finally {
    process.off('warning', onWarning);
    await relay.stop();
    await pool.end();
  }
});

it('a LISTEN connection killed by the server is replaced, and the relay still stops cleanly', async () => {
  const { pool, wrapped, clients, checkedOut } = recordingPool(3);
  const events: RelayEvent[] = [];
  const relay = createRelay({ store: createPostgresStore({ pool: wrapped, table, notify: true }), producer: () => {}, pollIntervalMs: 60_000, claimBackoff: { initialMs: 10, jitter: 0 }, onEvent: (e) => events.push(e) });
  relay.start();
  try {
    await eventually(async () => (await listeners(pool)) === 1, 2000, 'the first LISTEN');
    await pool.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = $1`, [`LISTEN "txbox_${table}"`]);
    await eventually(() => events.some((e) => e.type === 'watch.failed'), 2000, 'watch.failed');
    await eventually(async () => (await listeners(pool)) === 1, 2000, 'a new LISTEN');
  } finally {
    await relay.stop();
  }
  assert.equal(checkedOut(), 0);
  for (const client of clients) assert.equal(client.listenerCount('notification'), 0);
  await pool.end();
});
