/**
 * Issue 12, defect 4: a producer answer of the wrong shape (the array from Promise.all, `true`,
 * `{ failed }` without `ok`...) made settlement throw, and deliverBatch had no way back to the
 * store: the batch was never settled or released. On PostgreSQL in lock mode its pooled
 * connection was never given back, so after pool.max batches the application's own queries
 * waited forever; on lease stores the messages sat leased until the claim timeout.
 *
 * Expected: an invalid answer is a produce failure (typed error, an attempt counted, backoff,
 * produce.failed), and a throw at any step of a batch leaves its claim released or settled.
 *
 * Run: node --import tsx --test test/regressions/claim-always-settled.test.ts
 */
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { createOutbox, createRelay, TxboxError, type OutboxStore, type ProduceFn, type RelayEvent, type RelayOptions } from '../../src/core/index.js';
import { createPostgresStore } from '../../src/stores/postgres/index.js';
import { createSqliteStore } from '../../src/stores/sqlite/index.js';
import { eventually, PG_URL, uniqueName } from '../support/env.js';

const POOL_MAX = 2;
const admin = new pg.Pool({ connectionString: PG_URL, max: 1 });
const pools: pg.Pool[] = [];
const tables: string[] = [];
after(async () => {
  for (const t of tables) await admin.query(`DROP TABLE IF EXISTS "${t}"`);
  // A leaked claim keeps its pool from ending until the server ends the claim's session.
  await Promise.all([admin.end(), ...pools.map((p) => p.end())]);
});

const fast = { initialMs: 10, maxMs: 50, multiplier: 2, jitter: 0 };

/** Answers that are neither nothing nor `{ ok: string[], failed? }`. */
const badAnswers: Record<string, (ids: string[]) => unknown> = {
  'the array from Promise.all': (ids) => ids.map(() => undefined),
  true: () => true,
  null: () => null,
  '{ failed } without ok': (ids) => ({ failed: [{ id: ids[0], error: 'no' }] }),
  'ok of numbers': () => ({ ok: [1, 2] }),
  'ok a string': (ids) => ({ ok: ids[0] }),
  'failed not an array': (ids) => ({ ok: [], failed: { id: ids[0] } }),
};

/** A store on its own small pool, so one test's leak cannot starve the next. */
async function pgStore() {
  // A starved pool fails a checkout after 2 s instead of waiting forever, so a leak shows as a failure.
  const pool = new pg.Pool({ connectionString: PG_URL, max: POOL_MAX, connectionTimeoutMillis: 2000 });
  pools.push(pool);
  const table = uniqueName('settled');
  tables.push(table);
  // The server ends a leaked claim's session after the claim timeout: keep it short.
  const store = createPostgresStore({ pool, table, claimTimeoutMs: 5000 });
  await store.migrate();
  const checkedOut = () => pool.totalCount - pool.idleCount;
  return { store, pool, table, checkedOut };
}

/** Runs a relay until `done`, with a bounded wait; stops it whatever happens. */
async function runUntil(options: RelayOptions, done: () => boolean, what: string): Promise<void> {
  const relay = createRelay({ watch: false, pollIntervalMs: 20, produceTimeoutMs: 1000, produceBackoff: fast, retry: fast, ...options });
  relay.start();
  try {
    await eventually(done, 5000, what);
  } finally {
    await relay.stop();
  }
}

describe('PostgreSQL lock mode: a batch always gives its connection back', () => {
  for (const [name, answer] of Object.entries(badAnswers)) {
    it(`a producer answering ${name} fails the batch with a typed error, then delivers`, async () => {
      const { store, pool, checkedOut } = await pgStore();
      // More batches than the pool has connections: a leak would starve everything after it.
      const written = await store.transaction((c) => createOutbox({ store }).send(c, [1, 2, 3].map((n) => ({ topic: 't', key: `k${n}`, payload: n }))));
      const events: RelayEvent[] = [];
      let calls = 0;
      const delivered = new Set<string>();
      const producer: ProduceFn = (messages) => {
        calls++;
        if (calls <= POOL_MAX + 2) return answer(messages.map((m) => m.id)) as never;
        messages.forEach((m) => delivered.add(m.id));
      };
      await runUntil({ store, producer, batchSize: 1, onEvent: (e) => events.push(e) }, () => delivered.size === 3, 'delivery after the bad answers');

      assert.deepEqual([...delivered].sort(), [...written.ids].sort());
      assert.equal(checkedOut(), 0, 'every claim connection went back to the pool');
      await pool.query('SELECT 1'); // the application's own queries still get a connection
      const failed = events.filter((e) => e.type === 'produce.failed');
      assert.ok(failed.length >= POOL_MAX + 2, `produce.failed for each bad answer, got ${failed.length}`);
      const error = (failed[0] as { error: unknown }).error;
      assert.ok(error instanceof TxboxError && error.code === 'INVALID_PRODUCE_RESULT', `typed error, got ${String(error)}`);
      assert.equal(events.filter((e) => e.type === 'claim.failed').length, 0, 'not mistaken for a failed claim');
      const attempts = events.filter((e) => e.type === 'message.failed').length;
      assert.ok(attempts >= POOL_MAX + 2, `each bad answer counts an attempt, got ${attempts}`);
    });
  }

  // A throw at each step of a batch, injected through the relay's own seams on a real store.
  const steps: Record<string, (arm: () => boolean) => Partial<RelayOptions> & { producer?: ProduceFn }> = {
    'the producer throws synchronously': (arm) => ({
      producer: () => {
        if (arm()) throw new Error('sync throw');
      },
    }),
    // Planning draws the retry jitter of a failed message: a source that throws once breaks it.
    planning: (arm) => {
      let failOnce = true;
      return {
        producer: (ms) => {
          if (!failOnce) return;
          failOnce = false;
          return { ok: ms.slice(1).map((m) => m.id), failed: [{ id: ms[0]!.id, error: 'retry me' }] };
        },
        random: () => {
          if (arm()) throw new Error('planning throw');
          return 0;
        },
      };
    },
    'every event listener call': () => ({
      onEvent: () => {
        throw new Error('listener throw');
      },
    }),
  };
  for (const [name, inject] of Object.entries(steps)) {
    it(`a throw at ${name} still releases the claim and delivers later`, async () => {
      const { store, checkedOut } = await pgStore();
      const written = await store.transaction((c) => createOutbox({ store }).send(c, [{ topic: 't', payload: 1 }, { topic: 't', payload: 2 }]));
      let armed = name === 'planning' ? 1 : POOL_MAX + 1;
      const delivered = new Set<string>();
      const injected = inject(() => armed-- > 0);
      const inner = injected.producer;
      const producer: ProduceFn = async (messages, context) => {
        const answer = inner ? await inner(messages, context) : undefined;
        const ok = answer ? [...answer.ok] : messages.map((m) => m.id);
        ok.forEach((id) => delivered.add(id));
        return answer;
      };
      await runUntil({ ...injected, store, producer }, () => delivered.size === 2, 'delivery after the throws');
      assert.deepEqual([...delivered].sort(), [...written.ids].sort());
      assert.equal(checkedOut(), 0, 'every claim connection went back to the pool');
    });
  }

  it('an acknowledgement that throws is retried on the same claim, which then goes back to the pool', async () => {
    const { store, pool, table, checkedOut } = await pgStore();
    await store.transaction((c) => createOutbox({ store }).send(c, { topic: 't', payload: 1 }));
    let throws = 2;
    const flaky: OutboxStore = { ...store, settle: (batch, s) => (throws-- > 0 ? Promise.reject(new Error('settle throw')) : store.settle(batch, s)) };
    let delivered = 0;
    await runUntil({ store: flaky, producer: () => void delivered++, settleBackoff: fast }, () => delivered === 1 && throws < 0, 'the acknowledgement');
    assert.equal(checkedOut(), 0);
    assert.equal(Number((await pool.query(`SELECT count(*) AS n FROM "${table}"`)).rows[0].n), 0, 'acknowledged (deleted)');
  });
});

describe('SQLite: a bad answer does not leave the messages leased until the claim timeout', () => {
  it('a producer answering true counts an attempt and the message is delivered after the backoff', async () => {
    const db = new Database(':memory:');
    const store = createSqliteStore({ db, table: 'outbox', claimTimeoutMs: 60_000 });
    await store.migrate();
    const { ids: [id] } = store.transaction((tx) => createOutbox({ store }).sendSync(tx, { topic: 't', payload: 1 }));
    const events: RelayEvent[] = [];
    let calls = 0;
    const producer: ProduceFn = () => (++calls === 1 ? (true as never) : undefined);
    // Leaked, the lease would hold the message for the whole 60 s claim timeout.
    await runUntil({ store, producer, onEvent: (e) => events.push(e) }, () => calls === 2, 'a second produce call long before the claim timeout');
    const failed = events.find((e) => e.type === 'message.failed');
    assert.ok(failed && failed.type === 'message.failed' && failed.id === id && /INVALID|answer/i.test(failed.error), 'the bad answer is recorded on the message');
    assert.equal((db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n, 0, 'delivered and deleted');
    db.close();
  });
});
