import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { context, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { createOutbox } from '../../src/core/index.js';
import { otelContextFromHeaders, otelTraceContext } from '../../src/opentelemetry/index.js';
import { createMemoryStore } from '../../src/testing/index.js';

const spanContext = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED };

describe('OpenTelemetry trace context', () => {
  const manager = new AsyncLocalStorageContextManager();
  before(() => context.setGlobalContextManager(manager.enable()));
  after(() => context.disable());

  it('stamps the active span on every message sent inside it', async () => {
    const store = createMemoryStore();
    const outbox = createOutbox({ store, traceContext: otelTraceContext });
    const active = trace.setSpan(context.active(), trace.wrapSpanContext(spanContext));
    await context.with(active, () => store.transaction((tx) => outbox.send(tx, [{ topic: 'a', payload: 1 }, { topic: 'b', payload: 2 }])));
    await store.transaction((tx) => outbox.send(tx, { topic: 'c', payload: 3 }));
    const batch = await store.claim({ limit: 10 });
    assert.deepEqual(
      batch!.messages.map((m) => m.headers.traceparent),
      ['00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', undefined],
    );
  });

  it('gives a consumer the producing span as its remote parent', () => {
    const ctx = otelContextFromHeaders({ traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
    assert.deepEqual(trace.getSpanContext(ctx), { ...spanContext, isRemote: true });
    const withState = otelContextFromHeaders({ traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00', tracestate: 'vendor=abc,x=1' });
    assert.equal(trace.getSpanContext(withState)!.traceState!.get('vendor'), 'abc');
    assert.equal(trace.getSpanContext(withState)!.traceFlags, TraceFlags.NONE);
    assert.equal(trace.getSpanContext(otelContextFromHeaders({ traceparent: 'garbage' })), undefined);
  });
});
