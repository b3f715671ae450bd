import { context, metrics, trace, type Context, type MeterProvider, type TextMapPropagator, type TracerProvider } from '@opentelemetry/api';
import { invalidOption } from '../core/errors.js';
import type { RelayEventListener } from '../core/events.js';
import type { InboxStore } from '../core/inbox.js';
import type { TraceContext, TraceContextSource } from '../core/message.js';
import { rejectUnknownOptions } from '../core/option-keys.js';
import type { Outbox } from '../core/outbox.js';
import type { ProcessHook } from '../core/process-hook.js';
import type { Producer, ProduceFn } from '../core/producer.js';
import { instrumentInboxStore } from './inbox.js';
import { instrumentOutbox } from './outbox.js';
import { processHook } from './process.js';
import { wrapProducer, type WrapProducerOptions } from './producer.js';
import { Propagation } from './propagation.js';
import { relayMetrics } from './relay-metrics.js';
import { storeGauges, type ObserveStoreOptions, type StatsSourceLike, type StoreObservation } from './store-gauges.js';

export interface OtelOptions {
  /** Default: the global one (`metrics.getMeterProvider()` when this is called: start your SDK first). */
  meterProvider?: MeterProvider;
  /** Default: the global one. */
  tracerProvider?: TracerProvider;
  /** Default: the global one your SDK registered (W3C trace context + baggage with NodeSDK). */
  propagator?: TextMapPropagator;
}

export interface OtelInstrumentation {
  /** For `createOutbox({ store, traceContext })` and `createConsumers`: the active context's propagation fields. */
  readonly traceContext: TraceContextSource;
  /** For `createRelay({ onEvent })`: relay metrics. Call it from your own listener if you have one. */
  readonly onEvent: RelayEventListener;
  /** For the `instrument` option of consumer helpers and `createConsumers`: a process span per message. */
  readonly process: ProcessHook;
  /** A producer with a `publish` span per batch (linked to each message's context) and publish counts. */
  wrapProducer(producer: Producer, options?: WrapProducerOptions): ProduceFn;
  /** An outbox whose `send()` runs in a `send` producer span and counts the messages written. */
  instrumentOutbox<Tx>(outbox: Outbox<Tx>): Outbox<Tx>;
  /** An inbox store counting first and duplicate messages per consumer. */
  instrumentInboxStore<Tx>(store: InboxStore<Tx>): InboxStore<Tx>;
  /** Gauges of the store's pending/due/delayed/in-flight/dead messages and lag, from `stats()` cached on an interval. */
  observeStore(store: StatsSourceLike, options?: ObserveStoreOptions): StoreObservation;
  /** The context a custom consumer continues: the producing span and baggage from a message's headers. */
  contextFromHeaders(headers: Readonly<Record<string, string>>, parent?: Context): Context;
}

const SCOPE = 'txbox';

/**
 * Metrics and spans for txbox through `@opentelemetry/api`: the application's SDK, propagators
 * and exporters decide the rest. Creating it registers the instruments and does no I/O.
 */
export function createOtelInstrumentation(options: OtelOptions = {}): OtelInstrumentation {
  if (options === null || typeof options !== 'object') throw invalidOption('options', options, 'of createOtelInstrumentation must be an object');
  rejectUnknownOptions<OtelOptions>(options, { meterProvider: true, tracerProvider: true, propagator: true });
  const meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter(SCOPE);
  const tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(SCOPE);
  if (options.propagator !== undefined && typeof options.propagator?.inject !== 'function') {
    throw invalidOption('propagator', options.propagator, 'must be a TextMapPropagator');
  }
  const propagation = new Propagation(options.propagator);
  const observe = storeGauges(meter);

  return {
    traceContext: () => propagation.inject(context.active()) as TraceContext | undefined,
    onEvent: relayMetrics(meter),
    process: processHook(tracer, meter, propagation),
    wrapProducer: (producer, o) => wrapProducer(producer, tracer, meter, propagation, o),
    instrumentOutbox: (outbox) => instrumentOutbox(outbox, tracer, meter, propagation),
    instrumentInboxStore: (store) => instrumentInboxStore(store, meter),
    observeStore: observe,
    contextFromHeaders: (headers, parent) => propagation.extract(headers, parent),
  };
}
