import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { context, propagation, ROOT_CONTEXT, trace, TraceFlags, type TextMapPropagator } from '@opentelemetry/api';
import { createOutbox } from '../../src/core/index.js';
import { createOtelInstrumentation, otelContextFromHeaders, otelTraceContext } from '../../src/opentelemetry/index.js';
import { createMemoryStore } from '../../src/testing/index.js';
import { createSdk, registerGlobals } from './sdk.js';

const spanContext = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED };
const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

/** An application's own propagator: one `x-trace` header, `<trace id>/<span id>`. */
const customPropagator: TextMapPropagator = {
  inject(ctx, carrier, setter) {
    const sc = trace.getSpanContext(ctx);
    if (sc) setter.set(carrier, 'x-trace', `${sc.traceId}/${sc.spanId}`);
  },
  extract(ctx, carrier, getter) {
    const value = getter.get(carrier, 'x-trace');
    const [traceId, spanId] = (Array.isArray(value) ? value[0] : value)?.split('/') ?? [];
    return traceId && spanId ? trace.setSpanContext(ctx, { traceId, spanId, traceFlags: TraceFlags.SAMPLED, isRemote: true }) : ctx;
  },
  fields: () => ['x-trace'],
};

describe('OpenTelemetry propagation at send() and in consumers', () => {
  let unregister: () => void;
  before(() => (unregister = registerGlobals()));
  after(() => unregister());

  const sendInside = async (traceContext: () => ReturnType<typeof otelTraceContext>, withBaggage = true) => {
    const store = createMemoryStore();
    const outbox = createOutbox({ store, traceContext });
    let active = trace.setSpan(context.active(), trace.wrapSpanContext(spanContext));
    if (withBaggage) active = propagation.setBaggage(active, propagation.createBaggage({ tenant: { value: 'acme' } }));
    await context.with(active, () => store.transaction((tx) => outbox.send(tx, { topic: 'a', payload: 1 })));
    return (await store.claim({ limit: 10 }))!.messages[0]!.headers;
  };

  it('stores the baggage and trace context the registered propagator writes, and a consumer reads both back', async () => {
    const headers = await sendInside(otelTraceContext);
    assert.equal(headers.traceparent, TRACEPARENT);
    assert.equal(headers.baggage, 'tenant=acme');
    const ctx = otelContextFromHeaders(headers);
    assert.deepEqual(trace.getSpanContext(ctx), { ...spanContext, isRemote: true });
    assert.equal(propagation.getBaggage(ctx)?.getEntry('tenant')?.value, 'acme');
  });

  it('honours a propagator given to createOtelInstrumentation, and only it', async () => {
    const sdk = createSdk();
    const otel = createOtelInstrumentation({ ...sdk.providers, propagator: customPropagator });
    const headers = await sendInside(otel.traceContext);
    assert.deepEqual(headers, { 'x-trace': `${spanContext.traceId}/${spanContext.spanId}` });
    const ctx = otel.contextFromHeaders({ 'X-Trace': headers['x-trace']! });
    assert.equal(trace.getSpanContext(ctx)?.spanId, spanContext.spanId, 'a header whose case changed on the way is still read');
    await sdk.shutdown();
  });

  it('keeps headers the message sets itself over the propagated ones', async () => {
    const store = createMemoryStore();
    const outbox = createOutbox({ store, traceContext: () => ({ baggage: 'a=1', 'x-other': 'p' }) });
    await store.transaction((tx) => outbox.send(tx, { topic: 'a', payload: 1, headers: { baggage: 'mine=1' } }));
    assert.deepEqual((await store.claim({ limit: 1 }))!.messages[0]!.headers, { baggage: 'mine=1', 'x-other': 'p' });
    await assert.rejects(
      store.transaction((tx) => createOutbox({ store, traceContext: () => ({ traceparent: 'nope' }) }).send(tx, { topic: 'a', payload: 1 })),
      { code: 'INVALID_ARGUMENT', field: 'messages[0].traceContext.traceparent' },
    );
  });

  it('falls back to W3C trace context when the application registered no propagator', async () => {
    propagation.disable();
    try {
      const headers = await sendInside(otelTraceContext, false);
      assert.deepEqual(headers, { traceparent: TRACEPARENT });
      assert.equal(trace.getSpanContext(otelContextFromHeaders(headers, ROOT_CONTEXT))?.spanId, spanContext.spanId);
    } finally {
      unregister();
      unregister = registerGlobals();
    }
  });
});
