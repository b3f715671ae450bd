import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import pg from 'pg';
import { createOutbox, createRelay, type ProcessHook, type Producer, type RelayEvent } from '../../src/core/index.js';
import { createOtelInstrumentation, METRIC } from '../../src/opentelemetry/index.js';
import { createPostgresStore } from '../../src/stores/postgres/index.js';
import type { MessageHandler, Subscription } from '../../src/transports/shared/received.js';
import { PG_URL, eventually, uniqueName } from '../support/env.js';
import { createSdk, registerGlobals } from './sdk.js';

export interface PipelineSetup {
  readonly producer: Producer;
  readonly topic: string;
  consume(handler: MessageHandler, instrument: ProcessHook): Promise<Subscription>;
  close(): Promise<void>;
}

export interface PipelineTransport {
  readonly name: string;
  /** messaging.system of the transport. */
  readonly system: string;
  /** The helper hands a failed message back for another try (MQTT needs a persistent session for it). */
  readonly redelivers: boolean;
  /** A failed handler fails the publish itself (webhooks answer 500), so the relay retries it. */
  readonly failsPublish?: boolean;
  setup(): Promise<PipelineSetup>;
}

const UNITS: Record<string, string> = {
  [METRIC.outboxSent]: '{message}',
  [METRIC.clientSent]: '{message}',
  [METRIC.clientDuration]: 's',
  [METRIC.relayMessages]: '{message}',
  [METRIC.relayBatchSize]: '{message}',
  [METRIC.relayClaimDuration]: 's',
  [METRIC.relayProduceDuration]: 's',
  [METRIC.relaySettleDuration]: 's',
  [METRIC.clientConsumed]: '{message}',
  [METRIC.processDuration]: 's',
  [METRIC.consumerMessages]: '{message}',
};

/**
 * PostgreSQL → relay → broker → consumer helper, instrumented with the real SDK: the counts
 * match what the relay reported, and the trace of the span around send() continues to the
 * handler with its baggage.
 */
export function otelPipeline(t: PipelineTransport): void {
  describe(`OpenTelemetry: PostgreSQL → relay → ${t.name} → consumer helper`, { timeout: 30_000 }, () => {
    let unregister: () => void;
    before(() => (unregister = registerGlobals()));
    after(() => unregister());

    it('counts what the relay did, and continues the sending trace with its baggage through the relay and the consumer', async () => {
      const sdk = createSdk();
      const otel = createOtelInstrumentation(sdk.providers);
      const pool = new pg.Pool({ connectionString: PG_URL, max: 4 });
      const table = uniqueName('tx_otel');
      const store = createPostgresStore({ pool, table });
      const s = await t.setup();
      const events: RelayEvent[] = [];
      const relay = createRelay({
        store,
        producer: otel.wrapProducer(s.producer, { system: t.system }),
        onEvent: (e) => {
          events.push(e);
          otel.onEvent(e);
        },
        pollIntervalMs: 50,
      });
      let sub: Subscription | undefined;
      try {
        await store.migrate();
        const outbox = otel.instrumentOutbox(createOutbox({ store, traceContext: otel.traceContext }));
        const seen: { id: string; tenant: string | undefined; spanId: string | undefined; traceId: string | undefined }[] = [];
        let failOnce = t.redelivers;
        sub = await s.consume((m) => {
          const active = context.active();
          seen.push({ id: m.id, tenant: propagation.getBaggage(active)?.getEntry('tenant')?.value, spanId: trace.getSpanContext(active)?.spanId, traceId: trace.getSpanContext(active)?.traceId });
          if (failOnce) {
            failOnce = false;
            throw new Error('handler failed once');
          }
        }, otel.process);
        relay.start();

        const tracer = sdk.providers.tracerProvider.getTracer('app');
        const baggage = propagation.createBaggage({ tenant: { value: 'acme' } });
        const app = tracer.startSpan('checkout');
        const ids = await context.with(propagation.setBaggage(trace.setSpan(context.active(), app), baggage), () =>
          store.transaction(async (tx) => (await outbox.send(tx, [1, 2, 3, 4, 5].map((n) => ({ topic: s.topic, key: `k${n % 2}`, payload: { n } })))).ids),
        );
        app.end();
        const handled = () => new Set(seen.map((x) => x.id)).size === ids.length && seen.length === ids.length + (t.redelivers ? 1 : 0);
        await eventually(handled, 15_000, 'every message handled');
        await eventually(() => sdk.spans.getFinishedSpans().filter((x) => x.kind === SpanKind.CONSUMER).length === seen.length, 5_000, 'process spans ended');
        await relay.stop();

        // Instruments exist with the documented names and units.
        const metrics = await sdk.collect();
        for (const [name, unit] of Object.entries(UNITS)) {
          const m = metrics.find((x) => x.descriptor.name === name);
          assert.ok(m, `instrument ${name} exists`);
          assert.equal(m.descriptor.unit, unit, `${name} in ${unit}`);
        }
        // Counts match what the relay and the consumer did.
        const settled = events.filter((e) => e.type === 'batch.settled');
        const delivered = settled.reduce((n, e) => n + e.delivered, 0);
        assert.equal(delivered, 5);
        assert.equal(await sdk.total(METRIC.outboxSent, { 'messaging.destination.name': s.topic }), 5);
        assert.equal(await sdk.total(METRIC.relayMessages, { 'txbox.outcome': 'delivered', 'txbox.outbox.name': store.key.name }), delivered);
        assert.equal(await sdk.total(METRIC.relayBatchSize), settled.length);
        assert.equal(await sdk.total(METRIC.relayClaimDuration), settled.length);
        assert.equal(await sdk.total(METRIC.clientSent, { 'messaging.system': t.system, 'messaging.destination.name': s.topic, 'error.type': undefined }), 5);
        // A webhook's failed handler fails the publish (500): the relay retries it, and says so.
        const publishFailures = t.failsPublish ? 1 : 0;
        assert.equal(await sdk.total(METRIC.clientSent, { 'messaging.destination.name': s.topic }), 5 + publishFailures);
        assert.equal(await sdk.total(METRIC.relayMessages, { 'txbox.outcome': 'retried' }), publishFailures);
        assert.equal(await sdk.total(METRIC.relayRedelivered, { 'messaging.destination.name': s.topic }), publishFailures);
        assert.equal(await sdk.total(METRIC.clientConsumed, { 'messaging.system': t.system }), seen.length);
        assert.equal(await sdk.total(METRIC.processDuration), seen.length);
        assert.equal(await sdk.total(METRIC.consumerMessages, { 'txbox.outcome': 'handled' }), 5);
        assert.equal(await sdk.total(METRIC.consumerMessages, { 'txbox.outcome': 'retried' }), t.redelivers ? 1 : 0);

        // Spans: send (child of the app's span) → publish (linked to each message's send span) → process (child of send).
        const spans = sdk.spans.getFinishedSpans();
        const appCtx = app.spanContext();
        const send = spans.find((x) => x.kind === SpanKind.PRODUCER && x.name === `send ${s.topic}`);
        assert.ok(send, 'a send span');
        assert.equal(send.spanContext().traceId, appCtx.traceId);
        assert.equal(send.parentSpanContext?.spanId, appCtx.spanId);
        const publishes = spans.filter((x) => x.name === `publish ${s.topic}`);
        assert.equal(publishes.length, settled.length, 'one publish span per batch');
        assert.equal(publishes.reduce((n, p) => n + p.links.length, 0), settled.reduce((n, e) => n + e.claimed, 0), 'one link per message handed to the producer');
        for (const p of publishes) for (const l of p.links) assert.equal(l.context.spanId, send.spanContext().spanId);
        const processes = spans.filter((x) => x.kind === SpanKind.CONSUMER);
        assert.equal(processes.length, seen.length);
        for (const p of processes) {
          assert.equal(p.name, `process ${s.topic}`);
          assert.equal(p.spanContext().traceId, appCtx.traceId, 'the consumer continues the sender\'s trace');
          assert.equal(p.parentSpanContext?.spanId, send.spanContext().spanId);
          assert.equal(p.attributes['messaging.system'], t.system);
        }
        assert.equal(processes.filter((p) => p.status.code === 2).length, t.redelivers ? 1 : 0, 'the failed try is an error span');
        for (const x of seen) {
          assert.equal(x.tenant, 'acme', 'baggage reaches the handler');
          assert.equal(x.traceId, appCtx.traceId);
          assert.ok(processes.some((p) => p.spanContext().spanId === x.spanId), 'the handler runs inside its process span');
        }
      } finally {
        await sub?.stop();
        await relay.stop();
        await s.close();
        await pool.query(`DROP TABLE IF EXISTS "${table}"`).catch(() => {});
        await pool.end();
        await sdk.shutdown();
      }
    });
  });
}
