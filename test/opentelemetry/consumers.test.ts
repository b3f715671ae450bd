import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import pg from 'pg';
import { createConsumers, defineConsumer } from '../../src/consumers/index.js';
import { createInbox, type OutboxKey } from '../../src/core/index.js';
import { createOtelInstrumentation, METRIC, type OutboxStatsLike } from '../../src/opentelemetry/index.js';
import { createPostgresInbox, createPostgresStore } from '../../src/stores/postgres/index.js';
import { PG_URL, eventually, sleep, uniqueName } from '../support/env.js';
import { createSdk, registerGlobals } from './sdk.js';

describe('OpenTelemetry: in-process consumers, the inbox and store gauges', { timeout: 30_000 }, () => {
  let unregister: () => void;
  const pool = new pg.Pool({ connectionString: PG_URL, max: 6 });
  before(() => (unregister = registerGlobals()));
  after(async () => {
    unregister();
    await pool.end();
  });

  it('counts handled, retried and poisoned messages and first/duplicate inbox rows, in process spans that continue the publisher\'s trace', async () => {
    const sdk = createSdk();
    const otel = createOtelInstrumentation(sdk.providers);
    const name = uniqueName('tx_otel_c');
    const store = createPostgresStore({ pool, table: name });
    const inboxStore = createPostgresInbox({ pool, table: `${name}_inbox` });
    const seen: { n: number; tenant: string | undefined; traceId: string | undefined }[] = [];
    const consumers = createConsumers({
      store,
      inbox: otel.instrumentInboxStore(inboxStore),
      consumers: [
        defineConsumer<unknown, { n: number }>({
          name: 'billing',
          topics: ['order.placed'],
          maxAttempts: 2,
          backoff: { type: 'fixed', initialMs: 20 },
          handle({ payload, attempt }) {
            seen.push({ n: payload.n, tenant: propagation.getBaggage(context.active())?.getEntry('tenant')?.value, traceId: trace.getSpanContext(context.active())?.traceId });
            if (payload.n === 2 && attempt === 1) throw new Error('fails once');
            if (payload.n === 3) throw new Error('always fails');
          },
        }),
      ],
      onEvent: otel.onEvent,
      traceContext: otel.traceContext,
      instrument: otel.process,
      pollIntervalMs: 20,
    });
    try {
      await store.migrate();
      await inboxStore.migrate();
      const app = sdk.providers.tracerProvider.getTracer('app').startSpan('place order');
      const active = propagation.setBaggage(trace.setSpan(context.active(), app), propagation.createBaggage({ tenant: { value: 'acme' } }));
      await context.with(active, () => store.transaction((tx) => consumers.publish(tx, [1, 2, 3].map((n) => ({ topic: 'order.placed', payload: { n } })))));
      app.end();
      consumers.start();
      // 1 once, 2 twice (fails, then handled), 3 twice (fails, then poisoned).
      await eventually(async () => seen.length >= 5 && (await sdk.total(METRIC.consumerMessages, { 'txbox.outcome': 'poisoned' })) === 1, 15_000, 'all tries');
      await consumers.stop();

      const by = (outcome: string) => sdk.total(METRIC.consumerMessages, { 'messaging.system': 'txbox', 'messaging.destination.subscription.name': 'billing', 'txbox.outcome': outcome });
      assert.equal(await by('handled'), 2);
      assert.equal(await by('retried'), 2);
      assert.equal(await by('poisoned'), 1);
      assert.equal(await sdk.total(METRIC.processDuration, { 'messaging.destination.name': 'order.placed' }), 5);
      assert.equal(await sdk.total(METRIC.relayMessages, { 'txbox.outcome': 'dead' }), 1);
      assert.equal(await sdk.total(METRIC.relayMessages, { 'txbox.outcome': 'retried' }), 2);
      // Each try records the inbox row first: a rolled-back try records it again on the next.
      assert.equal(await sdk.total(METRIC.inboxMessages, { 'txbox.consumer': 'billing', 'txbox.outcome': 'first' }), 5);
      const processes = sdk.spans.getFinishedSpans().filter((s) => s.kind === SpanKind.CONSUMER);
      assert.equal(processes.length, 5);
      for (const p of processes) assert.equal(p.parentSpanContext?.spanId, app.spanContext().spanId);
      assert.deepEqual(new Set(seen.map((s) => [s.tenant, s.traceId].join())), new Set([`acme,${app.spanContext().traceId}`]), 'baggage and trace reach every try, retries included');

      // A duplicate delivery of a message the inbox has seen is skipped, and counted as such.
      const inbox = createInbox({ store: otel.instrumentInboxStore(inboxStore) });
      const ids = { consumer: 'billing', messageId: '0190a0a0-0000-7000-8000-000000000001' };
      for (let i = 0; i < 2; i++) await store.transaction((tx) => inbox.handleOnce(tx, ids, () => undefined));
      assert.equal(await sdk.total(METRIC.inboxMessages, { 'txbox.outcome': 'duplicate' }), 1);
    } finally {
      await consumers.stop();
      await pool.query(`DROP TABLE IF EXISTS "${name}", "${name}_inbox"`);
      await sdk.shutdown();
    }
  });

  it('serves gauges from stats() cached on an interval: scrapes never query the store', async () => {
    const sdk = createSdk();
    const otel = createOtelInstrumentation(sdk.providers);
    let calls = 0;
    const key: OutboxKey = { kind: 'postgres', name: uniqueName('gauged') };
    // stats() answers from PostgreSQL itself (what stores will run is theirs; the cache is what is tested here).
    const source = {
      key,
      async stats(): Promise<OutboxStatsLike> {
        calls++;
        const { rows } = await pool.query<{ n: number }>('SELECT $1::int AS n', [calls]);
        return { pending: 10 * rows[0]!.n, due: 7, delayed: 3, inFlight: 0, dead: 2, lagMs: 1500 };
      },
    };
    const observation = otel.observeStore(source, { intervalMs: 200 });
    try {
      await eventually(() => calls === 1, 5_000, 'the first stats() answer');
      await sleep(20);
      for (let i = 0; i < 5; i++) await sdk.collect();
      assert.equal(calls, 1, 'five scrapes, no query');
      const attrs = { 'txbox.outbox.name': key.name };
      assert.equal(await sdk.total(METRIC.pending, attrs), 10);
      assert.equal(await sdk.total(METRIC.due, attrs), 7);
      assert.equal(await sdk.total(METRIC.delayed, attrs), 3);
      assert.equal(await sdk.total(METRIC.dead, attrs), 2);
      assert.equal(await sdk.total(METRIC.lag, attrs), 1.5);
      const lag = (await sdk.collect()).find((m) => m.descriptor.name === METRIC.lag)!;
      assert.equal(lag.descriptor.unit, 's');
      await eventually(async () => (await sdk.total(METRIC.pending, attrs)) >= 20, 5_000, 'a refresh');
      assert.ok(calls >= 2 && calls <= 10, `refreshed on the interval, not per scrape (${calls} calls)`);
      observation.stop();
      const stoppedAt = calls;
      await sleep(500);
      assert.equal(calls, stoppedAt, 'a stopped observation queries no more');
      assert.throws(() => otel.observeStore({ key }), { code: 'NOT_SUPPORTED' });
    } finally {
      observation.stop();
      await sdk.shutdown();
    }
  });
});
