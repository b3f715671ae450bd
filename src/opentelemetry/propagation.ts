import { context, propagation, ROOT_CONTEXT, trace, type Context, type SpanContext, type TextMapGetter, type TextMapPropagator, type TextMapSetter } from '@opentelemetry/api';
import { extractW3c, injectW3c, w3cSpanContext } from './w3c-fallback.js';

type Headers = Readonly<Record<string, string>>;

const setter: TextMapSetter<Record<string, string>> = {
  set(carrier, key, value) {
    carrier[key] = value;
  },
};

/** Exact name first; brokers and HTTP may change the case of header names on the way. */
const getter: TextMapGetter<Headers> = {
  keys: (carrier) => Object.keys(carrier),
  get(carrier, key) {
    const exact = carrier[key];
    if (exact !== undefined) return exact;
    const lower = key.toLowerCase();
    for (const name of Object.keys(carrier)) if (name.toLowerCase() === lower) return carrier[name];
    return undefined;
  },
};

/**
 * The propagator txbox injects and extracts with: the one given, else the application's global one
 * (whatever its SDK registered: W3C trace context and baggage, B3, Jaeger...). When none is
 * registered at all (the API's no-op one, which has no fields), W3C trace context by hand.
 */
export class Propagation {
  constructor(private readonly given: TextMapPropagator | undefined) {}

  private get propagator(): TextMapPropagator {
    return this.given ?? propagation;
  }

  /** The fields the propagator reads, to skip extracting from messages that carry none. */
  fields(): readonly string[] {
    return this.propagator.fields();
  }

  /** The propagation headers of `from` (default: the active context); undefined when there is nothing to carry. */
  inject(from: Context = context.active()): Record<string, string> | undefined {
    const carrier: Record<string, string> = {};
    const p = this.propagator;
    if (p.fields().length === 0) injectW3c(from, carrier);
    else p.inject(from, carrier, setter);
    return Object.keys(carrier).length === 0 ? undefined : carrier;
  }

  /** The context a consumer continues: the producing span and the baggage, read from a message's headers. */
  extract(headers: Headers, parent: Context = ROOT_CONTEXT): Context {
    const p = this.propagator;
    if (p.fields().length === 0) return extractW3c(headers, parent);
    return p.extract(parent, headers, getter);
  }

  /**
   * A reader of the span context each message carries, for links, set up once per batch. When the
   * propagator reads W3C trace context (or none is registered), a version-00 `traceparent` is
   * parsed directly: the span context the propagator would give, without it decoding the baggage
   * and building a context for every message. Other headers go through the propagator, and a
   * message carrying none of its fields is not extracted at all.
   */
  spanContextReader(): (headers: Headers) => SpanContext | undefined {
    const fields = this.fields();
    if (fields.length === 0) return w3cSpanContext;
    const direct = fields.includes('traceparent');
    return (headers) => (direct ? w3cSpanContext(headers) : undefined) ?? (carries(headers, fields) ? trace.getSpanContext(this.extract(headers)) : undefined);
  }
}

/** Whether any field the propagator reads is present. */
function carries(headers: Headers, fields: readonly string[]): boolean {
  for (const f of fields) if (getter.get(headers, f) !== undefined) return true;
  return false;
}
