import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { context, propagation, trace, TraceFlags, type SpanContext, type TextMapPropagator } from '@opentelemetry/api';
import { createOutbox, createRelay, type MessageInput, type OutboxMessage, type ProduceFn } from '../../src/core/index.js';
import { createOtelInstrumentation, METRIC } from '../../src/opentelemetry/index.js';
import { createFakeClock, createMemoryStore } from '../../src/testing/index.js';
import { createSdk, registerGlobals } from './sdk.js';

type Sdk = ReturnType<typeof createSdk>;
const produceContext = { key: { kind: 'memory', name: 'default' }, signal: new AbortController().signal };

/**
 * `count` messages, each sent inside its own application span (as when each comes from its own
 * request), claimed back from the store: what a relay hands its producer.
 */
async function sentOneByOne(sdk: Sdk, count: number, message: (i: number) => MessageInput = () => ({ topic: 'orders', payload: 1 })) {
  const store = createMemoryStore();
  const outbox = createOutbox({ store, traceContext: createOtelInstrumentation(sdk.providers).traceContext });
  const tracer = sdk.providers.tracerProvider.getTracer('app');
  const senders: SpanContext[] = [];
  for (let i = 0; i < count; i++) {
    const span = tracer.startSpan(`request ${i}`);
    senders.push(span.spanContext());
    await context.with(trace.setSpan(context.active(), span), () => store.transaction((tx) => outbox.send(tx, message(i))));
    span.end();
  }
  const batch = await store.claim({ limit: count });
  return { messages: batch!.messages, senders };
}

/** A broker client's error: `error.type` is its code. */
const coded = (code: string) => Object.assign(new Error(code), { code });
const publishSpans = (sdk: Sdk) => sdk.spans.getFinishedSpans().filter((s) => s.name.startsWith('publish'));

describe('OpenTelemetry: publish spans and counts of wrapProducer', () => {
  let unregister: () => void;
  before(() => (unregister = registerGlobals()));
  after(() => unregister());

  it('links the first 128 messages of a batch to the span each was sent in, and makes no more links', async () => {
    const sdk = createSdk();
    const otel = createOtelInstrumentation(sdk.providers);
    const { messages, senders } = await sentOneByOne(sdk, 200);
    await otel.wrapProducer(() => {})(messages, produceContext);
    const [span] = publishSpans(sdk);
    assert.equal(span!.name, 'publish orders');
    assert.equal(span!.attributes['messaging.batch.message_count'], 200);
    assert.equal(span!.links.length, 128);
    assert.equal(span!.droppedLinksCount, 0, 'none made only to be dropped by the SDK');
    span!.links.forEach((link, i) => {
      assert.equal(link.context.spanId, senders[i]!.spanId, `link ${i}: the span message ${i} was sent in`);
      assert.equal(link.context.traceId, senders[i]!.traceId);
      assert.equal(link.context.isRemote, true);
      assert.equal(link.attributes?.['messaging.message.id'], messages[i]!.id);
    });
    await sdk.shutdown();
  });

  it('links as many messages as maxLinks says, or none', async () => {
    const sdk = createSdk({ spanLimits: { linkCountLimit: 300 } });
    const otel = createOtelInstrumentation(sdk.providers);
    const { messages, senders } = await sentOneByOne(sdk, 200);
    await otel.wrapProducer(() => {}, { maxLinks: 300 })(messages, produceContext);
    await otel.wrapProducer(() => {}, { maxLinks: 0 })(messages, produceContext);
    const [all, none] = publishSpans(sdk);
    assert.deepEqual(all!.links.map((l) => l.context.spanId), senders.map((s) => s.spanId));
    assert.equal(none!.links.length, 0);
    assert.throws(() => otel.wrapProducer(() => {}, { maxLinks: -1 }), { code: 'INVALID_OPTION', field: 'maxLinks' });
    assert.throws(() => otel.wrapProducer(() => {}, { maxLinks: 1.5 }), { code: 'INVALID_OPTION', field: 'maxLinks' });
    assert.throws(() => otel.wrapProducer(() => {}, { maxLink: 3 } as never), { code: 'INVALID_OPTION', field: 'maxLink' });
    assert.throws(() => otel.wrapProducer(() => {}, { system: '' }), { code: 'INVALID_OPTION', field: 'system' });
    await sdk.shutdown();
  });

  it('reads what the propagator reads: its own headers, any header case, and nothing from a message without a valid context', async () => {
    const sdk = createSdk();
    const store = createMemoryStore();
    const at = (traceId: string, spanId: string) => `00-${traceId}-${spanId}-01`;
    const ids = { trace: '0af7651916cd43dd8448eb211c80319c', a: 'b7ad6b7169203331', b: '00f067aa0ba902b7' };
    await store.transaction((tx) =>
      createOutbox({ store }).send(tx, [
        { topic: 'a', payload: 1, headers: { Traceparent: at(ids.trace, ids.a), tracestate: 'vendor=x' } },
        { topic: 'a', payload: 2 },
        { topic: 'b', payload: 3, headers: { traceparent: at('0'.repeat(32), ids.b) } },
        { topic: 'b', payload: 4, headers: { traceparent: at(ids.trace, ids.b), tracestate: 'vendor=y' } },
        { topic: 'b', payload: 5, headers: { 'x-trace': `${ids.trace}/${ids.a}` } },
      ]),
    );
    const { messages } = (await store.claim({ limit: 10 }))!;
    await createOtelInstrumentation(sdk.providers).wrapProducer(() => {})(messages, produceContext);
    const [w3c] = publishSpans(sdk);
    assert.equal(w3c!.name, 'publish', 'mixed topics');
    assert.deepEqual(
      w3c!.links.map((l) => [l.attributes?.['messaging.message.id'], l.context.spanId, l.context.traceFlags, l.context.traceState?.get('vendor')]),
      [
        [messages[0]!.id, ids.a, TraceFlags.SAMPLED, 'x'],
        [messages[3]!.id, ids.b, TraceFlags.SAMPLED, 'y'],
      ],
    );

    // An application's own format: only its header makes a link.
    const custom: TextMapPropagator = {
      inject: () => {},
      extract(ctx, carrier, getter) {
        const [traceId, spanId] = String(getter.get(carrier, 'x-trace') ?? '').split('/');
        return traceId && spanId ? trace.setSpanContext(ctx, { traceId, spanId, traceFlags: TraceFlags.SAMPLED, isRemote: true }) : ctx;
      },
      fields: () => ['x-trace'],
    };
    await createOtelInstrumentation({ ...sdk.providers, propagator: custom }).wrapProducer(() => {})(messages, produceContext);
    const [, own] = publishSpans(sdk);
    assert.deepEqual(own!.links.map((l) => [l.attributes?.['messaging.message.id'], l.context.spanId]), [[messages[4]!.id, ids.a]]);

    // No propagator registered: the W3C trace context written by hand is read back.
    propagation.disable();
    try {
      await createOtelInstrumentation(sdk.providers).wrapProducer(() => {})(messages, produceContext);
    } finally {
      unregister();
      unregister = registerGlobals();
    }
    const [, , fallback] = publishSpans(sdk);
    assert.deepEqual(fallback!.links.map((l) => l.context.spanId), [ids.b], 'the exact header name, as it writes it');
    await sdk.shutdown();
  });

  it('counts published and failed messages by topic and error type, and leaves out those not attempted', async () => {
    const sdk = createSdk();
    const otel = createOtelInstrumentation(sdk.providers);
    const { messages } = await sentOneByOne(sdk, 5, (i) => ({ topic: i < 3 ? 'a' : 'b', payload: i }));
    const [m0, m1, m2, m3, m4] = messages as [OutboxMessage, OutboxMessage, OutboxMessage, OutboxMessage, OutboxMessage];
    const partial = otel.wrapProducer(() => ({ ok: [m0.id, m3.id], failed: [{ id: m1.id, error: coded('BROKER_NACK') }, { id: m4.id, error: new RangeError('too big') }] }), { system: 'test' });
    await partial(messages, produceContext);
    const sent = (where: Record<string, string | undefined>) => sdk.total(METRIC.clientSent, { 'messaging.system': 'test', ...where });
    assert.equal(await sent({ 'messaging.destination.name': 'a', 'error.type': undefined }), 1);
    assert.equal(await sent({ 'messaging.destination.name': 'a', 'error.type': 'BROKER_NACK' }), 1);
    assert.equal(await sent({ 'messaging.destination.name': 'b', 'error.type': undefined }), 1);
    assert.equal(await sent({ 'messaging.destination.name': 'b', 'error.type': 'RangeError' }), 1);
    assert.equal(await sent({}), 4, `${m2.id} was not attempted`);

    const thrown = otel.wrapProducer(() => {
      throw coded('BROKER_DOWN');
    }, { system: 'test' });
    await assert.rejects(async () => thrown(messages, produceContext), { code: 'BROKER_DOWN' });
    assert.equal(await sent({ 'messaging.destination.name': 'a', 'error.type': 'BROKER_DOWN' }), 3);
    assert.equal(await sent({ 'messaging.destination.name': 'b', 'error.type': 'BROKER_DOWN' }), 2);
    assert.equal(await sdk.total(METRIC.clientDuration, { 'messaging.system': 'test', 'error.type': 'BROKER_DOWN' }), 1);
    assert.equal(await sdk.total(METRIC.clientDuration, { 'messaging.system': 'test', 'error.type': undefined }), 1);
    const failedSpan = publishSpans(sdk)[1]!;
    assert.equal(failedSpan.status.code, 2);
    assert.equal(failedSpan.attributes['error.type'], 'BROKER_DOWN');
    await sdk.shutdown();
  });

  it('hands the relay an answer whose ids it can still read when the producer gave a one-shot iterable', async () => {
    const sdk = createSdk();
    const otel = createOtelInstrumentation(sdk.providers);
    const clock = createFakeClock();
    const store = createMemoryStore({ clock });
    await store.transaction((tx) => createOutbox({ store }).send(tx, [1, 2, 3].map((n) => ({ topic: 'orders', payload: n }))));
    const generator: ProduceFn = (messages) => ({ ok: (function* () { yield* messages.map((m) => m.id); })() });
    const relay = createRelay({ store, producer: otel.wrapProducer(generator), clock, onEvent: otel.onEvent });
    relay.start();
    await clock.flush();
    await relay.stop();
    assert.equal(store.pendingCount(), 0, 'all three acknowledged as published');
    assert.equal(await sdk.total(METRIC.clientSent, { 'error.type': undefined }), 3);
    assert.equal(await sdk.total(METRIC.relayMessages, { 'txbox.outcome': 'delivered' }), 3);
    await sdk.shutdown();
  });
});
