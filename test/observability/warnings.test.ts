import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createOutbox, createRelay, type OutboxMessage, type RelayEvent } from '../../src/core/index.js';
import { createPostgresStore } from '../../src/stores/postgres/index.js';
import { createMemoryStore } from '../../src/testing/index.js';
import { eventually, PG_URL, uniqueName } from '../support/env.js';
import { quietPool, recordingLogger } from './support.js';

describe('warnings raised without asking', () => {
  const pool = quietPool(PG_URL);
  const tables: string[] = [];
  after(async () => {
    for (const table of tables) await pool.query(`DROP TABLE IF EXISTS "${table}"`);
    await pool.end();
  });

  it('reports high lag, a growing backlog and a blocked key, then their recovery', async () => {
    const table = uniqueName('outbox');
    tables.push(table);
    const store = createPostgresStore({ pool, table });
    await store.migrate();
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await createOutbox({ store }).send(client, [...Array.from({ length: 5 }, (_, n) => ({ topic: 't', payload: n })), { topic: 't', key: 'stuck', payload: 'head' }]);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    let brokerDown = true;
    // The broker is unreachable for unkeyed messages until brokerDown is cleared; the key's head always fails.
    const producer = async (batch: readonly OutboxMessage[]) => ({
      ok: brokerDown ? [] : batch.filter((m) => m.key === null).map((m) => m.id),
      failed: batch.flatMap((m) => (m.key !== null ? [{ id: m.id, error: 'rejected' }] : brokerDown ? [{ id: m.id, error: 'ECONNREFUSED', unavailable: true }] : [])),
    });
    const events: RelayEvent[] = [];
    const { records, logger } = recordingLogger();
    const relay = createRelay({
      store,
      producer,
      logger,
      onEvent: (e) => events.push(e),
      pollIntervalMs: 20,
      retry: { initialMs: 10, maxMs: 10, jitter: 0 },
      produceBackoff: { initialMs: 20, maxMs: 50 },
      warnings: { intervalMs: 100, lagMs: 200, backlog: 2, backlogForMs: 300, keyFailures: 2 },
    });
    const seen = (type: string, condition?: string) => events.some((e) => e.type === type && (condition === undefined || (e as { condition?: string }).condition === condition));
    relay.start();
    try {
      await eventually(() => seen('lag.high') && seen('backlog.growing') && seen('key.blocked'), 10_000, 'lag, backlog and blocked-key warnings');
      const stats = await relay.stats();
      assert.deepEqual(stats.key, store.key);
      assert.ok(stats.due >= 5 && stats.lagMs > 200, `stats of the stuck outbox: ${JSON.stringify(stats)}`);
      brokerDown = false;
      await eventually(() => seen('recovered', 'lag.high') && seen('recovered', 'backlog.growing'), 10_000, 'recovery');
    } finally {
      await relay.stop();
    }
    const blocked = events.find((e) => e.type === 'key.blocked');
    assert.deepEqual(blocked && [blocked.messageKey, blocked.attempt >= 2], ['stuck', true]);
    assert.ok(!events.some((e) => e.type === 'key.blocked' && e.attempt < 2), 'not before the configured number of failures');
    assert.ok(events.some((e) => e.type === 'stats.sampled'), 'the samples are events too, for metrics to reuse');
    for (const type of ['lag.high', 'backlog.growing', 'key.blocked']) {
      assert.equal(records.find((r) => r.fields.event === type)?.level, 'warn', `${type} is logged as a warning`);
    }
  });

  it('validates its options and can be turned off', () => {
    const store = createMemoryStore();
    const producer = async () => {};
    assert.throws(() => createRelay({ store, producer, warnings: { lagMs: -1 } }), { code: 'INVALID_OPTION', field: 'warnings.lagMs' });
    assert.throws(() => createRelay({ store, producer, warnings: { keyFailures: 1.5 } }), { code: 'INVALID_OPTION', field: 'warnings.keyFailures' });
    assert.throws(() => createRelay({ store, producer, warnings: { lag: 1 } as object }), { code: 'INVALID_OPTION', field: 'warnings.lag' });
    assert.throws(() => createRelay({ store, producer, logger: { warn() {}, error() {} } as never }), { code: 'INVALID_OPTION', field: 'logger.debug' });
    assert.throws(() => createRelay({ store, producer, logRepeatIntervalMs: 0 }), { code: 'INVALID_OPTION', field: 'logRepeatIntervalMs' });
    createRelay({ store, producer, warnings: false, logger: false });
    createRelay({ store, producer, warnings: { lagMs: Infinity, backlog: Infinity, keyFailures: Infinity } });
  });
});
