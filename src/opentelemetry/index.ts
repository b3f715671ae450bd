import { context, type Context } from '@opentelemetry/api';
import type { TraceContext } from '../core/message.js';
import { Propagation } from './propagation.js';

export { createOtelInstrumentation, type OtelInstrumentation, type OtelOptions } from './instrumentation.js';
export type { WrapProducerOptions } from './producer.js';
export type { ObserveStoreOptions, OutboxStatsLike, StatsSourceLike, StoreObservation } from './store-gauges.js';
export { METRIC, ATTR } from './names.js';

const global = new Propagation(undefined);

/**
 * The propagation fields of the active context (or `from`), through the application's global
 * propagator (W3C trace context and baggage, B3...), for `createOutbox({ store, traceContext: otelTraceContext })`.
 * With no propagator registered, the W3C trace context of the active span.
 */
export function otelTraceContext(from: Context = context.active()): TraceContext | undefined {
  return global.inject(from);
}

/** The context a consumer should continue: the producing span and baggage, read from a message's headers. */
export function otelContextFromHeaders(headers: Readonly<Record<string, string>>, parent?: Context): Context {
  return global.extract(headers, parent);
}

