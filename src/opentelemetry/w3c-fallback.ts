import { createTraceState, isSpanContextValid, ROOT_CONTEXT, trace, type Context, type SpanContext } from '@opentelemetry/api';

/**
 * W3C trace context written and read by hand, for applications that registered no propagator
 * (the API's default one writes nothing): the active span still reaches consumers. Baggage needs a
 * registered (or given) propagator.
 */
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

/** Version 00: `00-<32 hex trace id>-<16 hex span id>-<2 hex flags>`, 55 characters. */
const TRACEPARENT_00 = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
const INVALID_TRACE_ID = '0'.repeat(32);
const INVALID_SPAN_ID = '0'.repeat(16);

/**
 * The remote span context of a version-00 `traceparent` header (and its `tracestate`), or
 * undefined when there is none or it is not valid (all-zero ids): what any W3C trace context
 * propagator reads. Called for each message of a batch, so it tests once and slices, no captures.
 */
export function w3cSpanContext(headers: Readonly<Record<string, string>>): SpanContext | undefined {
  const value = headers.traceparent;
  if (value === undefined || !TRACEPARENT_00.test(value)) return undefined;
  const traceId = value.slice(3, 35);
  const spanId = value.slice(36, 52);
  if (traceId === INVALID_TRACE_ID || spanId === INVALID_SPAN_ID) return undefined;
  const sc: SpanContext = { traceId, spanId, traceFlags: parseInt(value.slice(53), 16), isRemote: true };
  if (headers.tracestate) sc.traceState = createTraceState(headers.tracestate);
  return sc;
}
