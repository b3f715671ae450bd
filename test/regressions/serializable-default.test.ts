import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { createOutbox, createRelay, parsePayload, type RelayEvent } from '../../src/core/index.js';
import { createPostgresStore, type ClaimMode } from '../../src/stores/postgres/index.js';
import { PG_URL, eventually, sleep, uniqueName } from '../support/env.js';

// Claims pin READ COMMITTED: under a SERIALIZABLE default, SKIP LOCKED claims racing each other
// failed with 40001 until they happened to succeed.
describe('relays on a database whose default isolation is SERIALIZABLE', () => {
  const pools: pg.Pool[] = [];
  const pool = () => {
    const p = new pg.Pool({ connectionString: PG_URL, max: 4, options: '-c default_transaction_isolation=serializable' });
    pools.push(p);
    return p;
  };
  after(() => Promise.all(pools.map((p) => p.end())));

  for (const claimMode of ['lock', 'lease'] as ClaimMode[]) {
    it(`claims without serialization failures (${claimMode} claims)`, async () => {
      const table = uniqueName('serializable');
      const stores = [pool(), pool()].map((p) => createPostgresStore({ pool: p, table, claimMode }));
      await stores[0]!.migrate();
      const failures: RelayEvent[] = [];
      const delivered: number[] = [];
      const relays = stores.map((store) =>
        createRelay({
          store,
          batchSize: 5,
          pollIntervalMs: 10,
          onEvent: (e) => void (e.type === 'claim.failed' && failures.push(e)),
          producer: async (batch) => {
            await sleep(1);
            for (const m of batch) delivered.push(parsePayload(m) as number);
          },
        }),
      );
      relays.forEach((r) => r.start());
      try {
        const outbox = createOutbox({ store: stores[0]! });
        const writer = pool();
        for (let i = 0; i < 200; i += 20) {
          const client = await writer.connect();
          try {
            await client.query('BEGIN');
            await outbox.send(client, Array.from({ length: 20 }, (_, n) => ({ topic: 't', key: `k${n % 4}`, payload: i + n })));
            await client.query('COMMIT');
          } finally {
            client.release();
          }
        }
        await eventually(() => new Set(delivered).size >= 200, 20_000, 'all delivered');
      } finally {
        await Promise.all(relays.map((r) => r.stop()));
        await pools[0]!.query(`DROP TABLE IF EXISTS ${table}`);
      }
      assert.deepEqual(failures, [], 'no claim failed');
    });
  }
});
