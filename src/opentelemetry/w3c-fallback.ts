import { createTraceState, isSpanContextValid, ROOT_CONTEXT, trace, type Context, type SpanContext } from '@opentelemetry/api';

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
  const sc = w3cSpanContext(headers);
  return sc ? trace.setSpanContext(parent, sc) : parent;
}

/**
 * The remote span context of a version-00 `traceparent` header (and its `tracestate`), or
 * undefined when there is none or it is not valid: what any W3C trace context propagator reads.
 */
export function w3cSpanContext(headers: Readonly<Record<string, string>>): SpanContext | undefined {
  const value = headers.traceparent;
  if (value === undefined) return undefined;
  const match = TRACEPARENT.exec(value);
  if (!match) return undefined;
  const sc: SpanContext = { traceId: match[1]!, spanId: match[2]!, traceFlags: parseInt(match[3]!, 16), isRemote: true };
  if (!isSpanContextValid(sc)) return undefined;
  if (headers.tracestate) sc.traceState = createTraceState(headers.tracestate);
  return sc;
}
