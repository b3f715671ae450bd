import { context, createTraceState, isSpanContextValid, ROOT_CONTEXT, trace, TraceFlags, type Context } from '@opentelemetry/api';
import type { TraceContext } from '../core/message.js';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * The W3C trace context of the active span, for `createOutbox({ store, traceContext: otelTraceContext })`:
 * every message then carries `traceparent`/`tracestate` headers to the broker and its consumers.
 * Reads the span context directly, so it works whatever propagator the SDK registered.
 */
export function otelTraceContext(from: Context = context.active()): TraceContext | undefined {
  const span = trace.getSpan(from);
  const sc = span?.spanContext();
  if (!sc || !isSpanContextValid(sc)) return undefined;
  const flags = (sc.traceFlags & 0xff).toString(16).padStart(2, '0');
  const tracestate = sc.traceState?.serialize();
  return { traceparent: `00-${sc.traceId}-${sc.spanId}-${flags}`, ...(tracestate ? { tracestate } : {}) };
}

/** The context a consumer should continue: the producing span, taken from a message's headers. */
export function otelContextFromHeaders(headers: Readonly<Record<string, string>>, parent: Context = ROOT_CONTEXT): Context {
  const match = TRACEPARENT.exec(headers.traceparent ?? '');
  if (!match) return parent;
  const [, traceId, spanId, flags] = match;
  return trace.setSpanContext(parent, {
    traceId: traceId!,
    spanId: spanId!,
    traceFlags: parseInt(flags!, 16) & TraceFlags.SAMPLED,
    isRemote: true,
    ...(headers.tracestate ? { traceState: createTraceState(headers.tracestate) } : {}),
  });
}
