import { context, SpanKind, SpanStatusCode, trace, type Link, type Meter, type Tracer } from '@opentelemetry/api';
import type { OutboxMessage } from '../core/message.js';
import { toProduceFn, type ProduceContext, type ProduceFn, type ProduceResult, type Producer } from '../core/producer.js';
import { ATTR, errorType, METRIC, SECONDS_BUCKETS } from './names.js';
import type { Propagation } from './propagation.js';

export interface WrapProducerOptions {
  /** `messaging.system` of the broker: 'rabbitmq', 'nats', 'redis', 'mqtt', 'http'... Default 'txbox'. */
  system?: string;
}

/**
 * A producer that reports what it publishes: one `publish` span per batch, linked to each
 * message's own trace context (the span that sent it), and per-topic counts of messages sent,
 * failed and redelivered.
 */
export function wrapProducer(producer: Producer, tracer: Tracer, meter: Meter, propagation: Propagation, options: WrapProducerOptions = {}): ProduceFn {
  const produce = toProduceFn(producer);
  const system = options.system ?? 'txbox';
  const sent = meter.createCounter(METRIC.clientSent, { unit: '{message}', description: 'Messages the relay attempted to publish; error.type set on those that failed' });
  const duration = meter.createHistogram(METRIC.clientDuration, { unit: 's', description: 'Duration of one publish call of a batch', advice: { explicitBucketBoundaries: SECONDS_BUCKETS } });
  const redelivered = meter.createCounter(METRIC.relayRedelivered, { unit: '{message}', description: 'Messages published again after a failed attempt' });
  const base = { [ATTR.system]: system, [ATTR.operationName]: 'publish', [ATTR.operationType]: 'send' };

  return async (messages: readonly OutboxMessage[], ctx: ProduceContext) => {
    const topic = sameTopic(messages);
    const span = tracer.startSpan(topic === undefined ? 'publish' : `publish ${topic}`, {
      kind: SpanKind.CLIENT,
      attributes: { ...base, [ATTR.batchCount]: messages.length, ...(topic === undefined ? {} : { [ATTR.destination]: topic }) },
      links: links(messages, propagation),
    });
    const start = performance.now();
    const retried = messages.filter((m) => m.attempts > 0);
    countByTopic(retried, () => undefined).forEach((n, key) => redelivered.add(n, { [ATTR.system]: system, [ATTR.destination]: key.split('\0')[0]! }));
    try {
      const result = await context.with(trace.setSpan(context.active(), span), () => produce(messages, ctx));
      record(messages, result ?? undefined);
      duration.record((performance.now() - start) / 1000, base);
      span.end();
      return result;
    } catch (error) {
      const type = errorType(error);
      record(messages, undefined, type);
      duration.record((performance.now() - start) / 1000, { ...base, [ATTR.errorType]: type });
      span.setStatus({ code: SpanStatusCode.ERROR, message: String((error as Error)?.message ?? error) });
      span.setAttribute(ATTR.errorType, type);
      span.end();
      throw error;
    }
  };

  /** Published ones without error.type, failed ones with it; ids in neither were not attempted. */
  function record(messages: readonly OutboxMessage[], result: ProduceResult | undefined, thrown?: string) {
    let outcome: (m: OutboxMessage) => string | undefined | null = () => (thrown === undefined ? undefined : thrown);
    if (thrown === undefined && result) {
      const ok = new Set(result.ok);
      const failed = new Map((result.failed ?? []).map((f) => [f.id, errorType(f.error)]));
      outcome = (m) => (ok.has(m.id) ? undefined : (failed.get(m.id) ?? null));
    }
    countByTopic(messages, outcome).forEach((n, key) => {
      const [topic, type] = key.split('\0');
      sent.add(n, { ...base, [ATTR.destination]: topic!, ...(type ? { [ATTR.errorType]: type } : {}) });
    });
  }
}

/** Counts per topic and outcome (`null`: not attempted, skipped). */
function countByTopic(messages: readonly OutboxMessage[], outcome: (m: OutboxMessage) => string | undefined | null): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of messages) {
    const o = outcome(m);
    if (o === null) continue;
    const key = `${m.topic}\0${o ?? ''}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

function sameTopic(messages: readonly OutboxMessage[]): string | undefined {
  const first = messages[0]?.topic;
  return messages.every((m) => m.topic === first) ? first : undefined;
}

/** A link to the trace context each message carries (the span active at send()). */
function links(messages: readonly OutboxMessage[], propagation: Propagation): Link[] {
  const fields = propagation.fields();
  const out: Link[] = [];
  for (const m of messages) {
    if (fields.length > 0 ? !propagation.carries(m.headers, fields) : m.headers.traceparent === undefined) continue;
    const sc = trace.getSpanContext(propagation.extract(m.headers));
    if (sc) out.push({ context: sc, attributes: { [ATTR.messageId]: m.id } });
  }
  return out;
}
