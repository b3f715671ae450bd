import { createTraceState, isSpanContextValid, ROOT_CONTEXT, trace, TraceFlags, type Context } from '@opentelemetry/api';

/**
 * W3C trace context written and read by hand, for applications that registered no propagator
 * (the API's default one writes nothing): the active span still reaches consumers. Baggage needs a
 * registered (or given) propagator.
 */
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

export function injectW3c(from: Context, carrier: Record<string, string>): void {
  const sc = trace.getSpan(from)?.spanContext();
  if (!sc || !isSpanContextValid(sc)) return;
  const flags = (sc.traceFlags & 0xff).toString(16).padStart(2, '0');
  carrier.traceparent = `00-${sc.traceId}-${sc.spanId}-${flags}`;
  const tracestate = sc.traceState?.serialize();
  if (tracestate) carrier.tracestate = tracestate;
}

export function extractW3c(headers: Readonly<Record<string, string>>, parent: Context = ROOT_CONTEXT): Context {
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

