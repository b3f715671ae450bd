import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createOutbox, createRelay, PermanentFailure, type RelayEvent } from '../../src/core/index.js';
import { createPostgresStore } from '../../src/stores/postgres/index.js';
import { eventually, PG_URL, uniqueName } from '../support/env.js';
import { captureConsole, outageProxy, quietPool, recordingLogger } from './support.js';

/** Nothing listens on port 1: every connection is refused at once. */
const UNREACHABLE = 'postgres://postgres@127.0.0.1:1/test';
const fastBackoff = { initialMs: 10, maxMs: 20, multiplier: 2, jitter: 0 };

describe('relay logging', () => {
  const pools: ReturnType<typeof quietPool>[] = [];
  const tables: string[] = [];
  const pool = (url: string) => {
    const p = quietPool(url);
    pools.push(p);
    return p;
  };
  after(async () => {
    const admin = pool(PG_URL);
    for (const table of tables) await admin.query(`DROP TABLE IF EXISTS "${table}"`);
    await Promise.all(pools.map((p) => p.end()));
  });

  /** A relay on an unreachable database, run until it has reported `failures` failed claims. */
  const runUnreachable = async (extra: Partial<Parameters<typeof createRelay>[0]>, failures = 3) => {
    const events: RelayEvent[] = [];
    const relay = createRelay({ store: createPostgresStore({ pool: pool(UNREACHABLE) }), producer: async () => {}, claimBackoff: fastBackoff, onEvent: (e) => events.push(e), ...extra });
    relay.start();
    try {
      await eventually(() => events.filter((e) => e.type === 'claim.failed').length >= failures, 10_000, 'failed claims');
    } finally {
      await relay.stop();
    }
    return events;
  };

  it('warns on the console by default when the database is unreachable', async () => {
    const { lines } = await captureConsole(() => runUnreachable({}));
    const warnings = lines.filter((l) => l.level === 'warn' && l.text.includes('event=claim.failed'));
    assert.ok(warnings.length >= 1, `a warning on the console, got ${JSON.stringify(lines)}`);
    assert.match(warnings[0]!.text, /^\[txbox\] WARN claiming messages failed.*ECONNREFUSED.*outbox=postgres\/default/);
  });

  it('gives a pino-style logger structured records: fields first, then the message', async () => {
    const { records, logger } = recordingLogger();
    await runUnreachable({ logger });
    const claim = records.find((r) => r.fields.event === 'claim.failed');
    assert.ok(claim, `a claim.failed record among ${records.map((r) => r.fields.event).join(', ')}`);
    assert.equal(claim.level, 'warn');
    assert.equal(claim.fields.outbox, 'postgres/default');
    assert.equal(typeof claim.fields.retryInMs, 'number');
    assert.ok(claim.fields.err instanceof Error, 'the error itself, under pino\'s err key');
    assert.equal(typeof claim.fields.relay, 'string');
    assert.match(claim.message, /claiming messages failed/);
  });

  it('logs dead letters at error level with the message id and key', async () => {
    const table = uniqueName('outbox');
    tables.push(table);
    const store = createPostgresStore({ pool: pool(PG_URL), table });
    await store.migrate();
    const writer = pool(PG_URL);
    const client = await writer.connect();
    let id: string;
    try {
      await client.query('BEGIN');
      [id] = (await createOutbox({ store }).send(client, { topic: 't', key: 'order-7', payload: 1 })).ids as [string];
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    const { records, logger } = recordingLogger();
    const relay = createRelay({ store, logger, producer: async () => Promise.reject(new PermanentFailure('400 bad request')) });
    await relay.runOnce();
    const dead = records.find((r) => r.fields.event === 'message.dead');
    assert.equal(dead?.level, 'error');
    assert.deepEqual([dead?.fields.messageId, dead?.fields.messageKey, dead?.fields.attempt], [id!, 'order-7', 1]);
    assert.match(String(dead?.fields.err), /400 bad request/);
  });

  it('is silent with logger: false', async () => {
    const { lines } = await captureConsole(() => runUnreachable({ logger: false }));
    assert.deepEqual(lines, []);
  });

  it('logs a persisting failure once per interval with a count, and its recovery', async () => {
    const proxy = await outageProxy();
    const table = uniqueName('outbox');
    tables.push(table);
    const store = createPostgresStore({ pool: pool(proxy.url), table });
    await store.migrate();
    const { records, logger } = recordingLogger();
    const events: RelayEvent[] = [];
    const relay = createRelay({ store, logger, producer: async () => {}, pollIntervalMs: 20, claimBackoff: fastBackoff, logRepeatIntervalMs: 400, onEvent: (e) => events.push(e) });
    relay.start();
    try {
      await proxy.cut();
      const failures = () => events.filter((e) => e.type === 'claim.failed').length;
      await eventually(() => failures() >= 40, 10_000, '40 failed claims');
      await new Promise((r) => setTimeout(r, 450)); // past one repeat interval
      await eventually(() => failures() >= 50, 10_000, 'more failed claims');
      await proxy.restore();
      await eventually(() => records.some((r) => r.fields.event === 'recovered'), 10_000, 'a recovery line');
    } finally {
      await relay.stop();
      await proxy.close();
    }
    const lines = records.filter((r) => r.fields.event === 'claim.failed');
    const reported = events.filter((e) => e.type === 'claim.failed').length;
    assert.ok(lines.length >= 2 && lines.length <= 6, `${lines.length} lines for ${reported} failures`);
    assert.equal(lines[0]!.fields.repeated, undefined, 'the first is written as it is');
    const summary = lines.find((l) => Number(l.fields.repeated) > 0);
    assert.ok(summary, 'a later line counts the repeats held back');
    assert.match(summary.message, /more like it in the last/);
    const recovered = records.find((r) => r.fields.event === 'recovered')!;
    assert.equal(recovered.level, 'info');
    assert.equal(recovered.fields.condition, 'claim.failed');
    assert.ok(Number(recovered.fields.count) >= 50, `the recovery counts every failure: ${recovered.fields.count}`);
  });
});
