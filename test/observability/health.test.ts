import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createRelay, type OutboxStore } from '../../src/core/index.js';
import { createPostgresStore } from '../../src/stores/postgres/index.js';
import { createFakeClock, createMemoryStore } from '../../src/testing/index.js';
import { eventually, PG_URL, uniqueName } from '../support/env.js';
import { outageProxy, quietPool } from './support.js';

describe('relay health', () => {
  const pools: ReturnType<typeof quietPool>[] = [];
  const tables: string[] = [];
  after(async () => {
    const admin = quietPool(PG_URL);
    for (const table of tables) await admin.query(`DROP TABLE IF EXISTS "${table}"`);
    await admin.end();
    await Promise.all(pools.map((p) => p.end()));
  });

  it('turns not ready while the database is unreachable, and ready again once it is back', async () => {
    const proxy = await outageProxy();
    const table = uniqueName('outbox');
    tables.push(table);
    const pool = quietPool(proxy.url);
    pools.push(pool);
    const store = createPostgresStore({ pool, table });
    await store.migrate();
    const relay = createRelay({ store, producer: async () => {}, logger: false, pollIntervalMs: 50, claimBackoff: { initialMs: 20, maxMs: 50 } });
    assert.deepEqual([relay.health().live, relay.health().ready, relay.health().reason], [false, false, 'not running']);
    relay.start();
    try {
      await eventually(() => relay.health().ready, 5000, 'ready');
      const up = relay.health();
      assert.equal(up.live, true);
      assert.equal(up.consecutiveFailures, 0);
      assert.ok(up.lastClaimAt instanceof Date && up.lastSuccessAt instanceof Date);

      await proxy.cut();
      await eventually(() => !relay.health().ready, 5000, 'not ready');
      const down = relay.health();
      assert.equal(down.live, true, 'a loop that keeps failing fast is alive: restarting the process would not help');
      assert.ok(down.consecutiveFailures >= 1);
      assert.match(down.reason ?? '', /consecutive failure/);
      assert.ok(down.lastFailureAt instanceof Date);

      await proxy.restore();
      await eventually(() => relay.health().ready, 10_000, 'ready again');
      assert.equal(relay.health().consecutiveFailures, 0);
    } finally {
      await relay.stop();
      await proxy.close();
    }
    assert.equal(relay.health().live, false, 'a stopped relay is not live');
  });

  it('is not live when a claim hangs for longer than the liveness timeout', async () => {
    const clock = createFakeClock();
    const memory = createMemoryStore({ clock, claimTimeoutMs: 30_000 });
    let hang = false;
    // The memory store, with a claim that can be made to never answer (a hung connection).
    const store: OutboxStore<unknown> = { ...memory, claim: (r) => (hang ? new Promise(() => {}) : memory.claim(r)) } as OutboxStore<unknown>;
    const relay = createRelay({ store, producer: async () => {}, clock, logger: false, pollIntervalMs: 1000, warnings: false });
    relay.start();
    await clock.advance(10);
    const health = relay.health();
    assert.equal(health.ready, true);
    assert.equal(health.livenessTimeoutMs, 3 * 1000 + 30_000 + 10_000, '3 poll intervals + claim timeout + longest backoff');
    hang = true;
    await clock.advance(1000);
    await clock.advance(health.livenessTimeoutMs - 1100); // the last cycle ended at the start
    assert.equal(relay.health().live, true, 'still within the timeout');
    await clock.advance(200);
    assert.deepEqual([relay.health().live, relay.health().ready], [false, false]);
    assert.match(relay.health().reason ?? '', /no claim cycle finished/);
    // stop() waits for the hung claim; the test leaves the relay behind on its fake clock.
    void relay.stop();
  });
});
