import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { context, SpanKind, trace } from '@opentelemetry/api';
import { DataPointType } from '@opentelemetry/sdk-metrics';
import { createOutbox } from '../../src/core/index.js';
import { createOtelInstrumentation, METRIC } from '../../src/opentelemetry/index.js';
import { createMemoryStore } from '../../src/testing/index.js';
import { createSdk, registerGlobals } from './sdk.js';

describe('OpenTelemetry: send spans and counts of instrumentOutbox', () => {
  let unregister: () => void;
  before(() => (unregister = registerGlobals()));
  after(() => unregister());

  it('runs send() in a send span whose context each message carries, without asking the outbox\'s own hook again', async () => {
    const sdk = createSdk();
    const otel = createOtelInstrumentation(sdk.providers);
    const store = createMemoryStore();
    let asked = 0;
    const outbox = otel.instrumentOutbox(createOutbox({ store, traceContext: () => (asked++, otel.traceContext()) }));
    const app = sdk.providers.tracerProvider.getTracer('app').startSpan('checkout');
    const own = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };
    await context.with(trace.setSpan(context.active(), app), async () => {
      await store.transaction((tx) => outbox.send(tx, { topic: 'orders', payload: 1 }));
      await store.transaction((tx) => outbox.send(tx, [{ topic: 'orders', payload: 2 }, { topic: 'invoices', payload: 3, traceContext: own }]));
      store.transaction((tx) => outbox.sendSync(tx, [{ topic: 'orders', payload: 4 }, { topic: 'orders', payload: 5, traceContext: undefined }]));
    });
    app.end();
    assert.equal(asked, 0, 'every message already carried the send span\'s context');

    const sends = sdk.spans.getFinishedSpans().filter((s) => s.kind === SpanKind.PRODUCER);
    assert.deepEqual(sends.map((s) => [s.name, s.attributes['messaging.batch.message_count'], s.attributes['messaging.destination.name']]), [
      ['send orders', undefined, 'orders'],
      ['send', 2, undefined],
      ['send orders', 2, 'orders'],
    ]);
    for (const s of sends) {
      assert.equal(s.parentSpanContext?.spanId, app.spanContext().spanId);
      assert.equal(s.attributes['txbox.outbox.kind'], 'memory');
      assert.equal(s.attributes['messaging.operation.name'], 'send');
    }
    const { messages } = (await store.claim({ limit: 10 }))!;
    const spanOf = (m: (typeof messages)[number]) => m.headers.traceparent?.split('-')[2];
    const [one, mixed, sync] = sends.map((s) => s.spanContext().spanId);
    assert.deepEqual(messages.map(spanOf), [one, mixed, own.traceparent.split('-')[2], sync, sync], 'a message\'s own trace context is kept');
    await sdk.shutdown();
  });

  it('counts the stored messages per topic, leaving out dedup duplicates, and ends a failed send() span with its error', async () => {
    const sdk = createSdk();
    const otel = createOtelInstrumentation(sdk.providers);
    const store = createMemoryStore();
    const outbox = otel.instrumentOutbox(createOutbox({ store }));
    await store.transaction((tx) => outbox.send(tx, [{ topic: 'a', payload: 1, dedupKey: 'k' }, { topic: 'b', payload: 2 }]));
    const again = await store.transaction((tx) => outbox.send(tx, [{ topic: 'a', payload: 1, dedupKey: 'k' }, { topic: 'a', payload: 3 }]));
    assert.equal(again.duplicates.length, 1);
    await store.transaction((tx) => outbox.send(tx, { topic: 'b', payload: 4 }));
    const sent = (topic: string) => sdk.total(METRIC.outboxSent, { 'messaging.destination.name': topic, 'txbox.outbox.kind': 'memory' });
    assert.equal(await sent('a'), 2);
    assert.equal(await sent('b'), 2);

    await assert.rejects(store.transaction((tx) => outbox.send(tx, { topic: '', payload: 1 })), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => outbox.sendSync({} as never, { topic: 'b', payload: undefined }), { code: 'INVALID_ARGUMENT' });
    const failed = sdk.spans.getFinishedSpans().filter((s) => s.status.code === 2);
    assert.deepEqual(failed.map((s) => [s.name, s.attributes['error.type']]), [
      ['send', 'INVALID_ARGUMENT'],
      ['send b', 'INVALID_ARGUMENT'],
    ]);
    assert.equal(await sent('b'), 2, 'nothing counted for a refused send()');

    // Outboxes on the same store, instrumented apart (even by another instrumentation on the same SDK), add up.
    const other = createOtelInstrumentation(sdk.providers).instrumentOutbox(createOutbox({ store }));
    await store.transaction(async (tx) => {
      await otel.instrumentOutbox(createOutbox({ store })).send(tx, { topic: 'b', payload: 5 });
      await other.send(tx, { topic: 'b', payload: 6 });
    });
    assert.equal(await sent('b'), 4);
    const metric = (await sdk.collect()).find((m) => m.descriptor.name === METRIC.outboxSent)!;
    assert.equal(metric.descriptor.unit, '{message}');
    assert.equal(metric.dataPointType, DataPointType.SUM);
    assert.equal((metric as { isMonotonic?: boolean }).isMonotonic, true);
    await sdk.shutdown();
  });
});
