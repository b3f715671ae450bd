import { context, SpanKind, SpanStatusCode, trace, type Attributes, type Link, type Meter, type Tracer } from '@opentelemetry/api';
import { invalidOption } from '../core/errors.js';
import type { OutboxMessage } from '../core/message.js';
import { rejectUnknownOptions } from '../core/option-keys.js';
import { checkProduceResult, toProduceFn, type CheckedProduceResult, type ProduceContext, type ProduceFn, type Producer } from '../core/producer.js';
import { KeyedCache } from './cache.js';
import { ATTR, errorType, METRIC, SECONDS_BUCKETS } from './names.js';
import type { Propagation } from './propagation.js';

export interface WrapProducerOptions {
  /** `messaging.system` of the broker: 'rabbitmq', 'nats', 'redis', 'mqtt', 'http'... Default 'txbox'. */
  system?: string;
  /**
   * Most links on one publish span: the first messages of the batch get one each. Default 128,
   * the SDK's default `spanLimits.linkCountLimit` (it drops the links past its limit): raise both
   * together. 0 makes publish spans without links.
   */
  maxLinks?: number;
}

/** Type of a failure as counted: `error.type`, or undefined for a published message. */
type Outcome = string | undefined;

/**
 * A producer that reports what it publishes: one `publish` span per batch, linked to each
 * message's own trace context (the span that sent it), and per-topic counts of messages sent,
 * failed and redelivered.
 */
export function wrapProducer(producer: Producer, tracer: Tracer, meter: Meter, propagation: Propagation, options: WrapProducerOptions = {}): ProduceFn {
  const produce = toProduceFn(producer);
  const { system, maxLinks } = resolveOptions(options);
  const sent = meter.createCounter(METRIC.clientSent, { unit: '{message}', description: 'Messages the relay attempted to publish; error.type set on those that failed' });
  const duration = meter.createHistogram(METRIC.clientDuration, { unit: 's', description: 'Duration of one publish call of a batch', advice: { explicitBucketBoundaries: SECONDS_BUCKETS } });
  const redelivered = meter.createCounter(METRIC.relayRedelivered, { unit: '{message}', description: 'Messages published again after a failed attempt' });
  const base = { [ATTR.system]: system, [ATTR.operationName]: 'publish', [ATTR.operationType]: 'send' };
  // Attribute sets per outcome and topic (`<error.type>\0<topic>`; a topic never holds NUL), and per error type.
  const sentAttributes = new KeyedCache<Attributes>((key) => {
    const at = key.lastIndexOf('\0');
    const type = key.slice(0, at);
    return { ...base, [ATTR.destination]: key.slice(at + 1), ...(type ? { [ATTR.errorType]: type } : {}) };
  });
  const redeliveredAttributes = new KeyedCache<Attributes>((topic) => ({ [ATTR.system]: system, [ATTR.destination]: topic }));
  const durationAttributes = new KeyedCache<Attributes>((type) => (type ? { ...base, [ATTR.errorType]: type } : base));

  return async (messages: readonly OutboxMessage[], ctx: ProduceContext) => {
    const topic = sameTopic(messages);
    const span = tracer.startSpan(topic === undefined ? 'publish' : `publish ${topic}`, {
      kind: SpanKind.CLIENT,
      attributes: { ...base, [ATTR.batchCount]: messages.length, ...(topic === undefined ? {} : { [ATTR.destination]: topic }) },
      links: links(messages, propagation, maxLinks),
    });
    const start = performance.now();
    countRetried(messages);
    try {
      // Checked here as the relay checks it, so an iterable `ok` is read once, for both.
      const result = checkProduceResult(await context.with(trace.setSpan(context.active(), span), produce, undefined, messages, ctx));
      record(messages, result, undefined);
      duration.record((performance.now() - start) / 1000, base);
      span.end();
      return result;
    } catch (error) {
      const type = errorType(error);
      record(messages, undefined, type);
      duration.record((performance.now() - start) / 1000, durationAttributes.get(type));
      span.setStatus({ code: SpanStatusCode.ERROR, message: String((error as Error)?.message ?? error) });
      span.setAttribute(ATTR.errorType, type);
      span.end();
      throw error;
    }
  };

  function countRetried(messages: readonly OutboxMessage[]) {
    let counts: Map<string, number> | undefined;
    for (const m of messages) {
      if (m.attempts > 0) (counts ??= new Map()).set(m.topic, (counts.get(m.topic) ?? 0) + 1);
    }
    counts?.forEach((n, topic) => redelivered.add(n, redeliveredAttributes.get(topic)));
  }

  /** Published ones without error.type, failed ones with it; ids in neither were not attempted. */
  function record(messages: readonly OutboxMessage[], result: CheckedProduceResult | undefined, thrown: Outcome) {
    if (result === undefined) {
      countAll(messages, thrown);
      return;
    }
    const ok = new Set(result.ok);
    const failed = new Map(result.failed.map((f) => [f.id, errorType(f.error)]));
    const counts = new Map<string, number>();
    for (const m of messages) {
      const outcome: Outcome | null = ok.has(m.id) ? undefined : (failed.get(m.id) ?? null);
      if (outcome === null) continue; // not attempted
      const key = `${outcome ?? ''}\0${m.topic}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    counts.forEach((n, key) => sent.add(n, sentAttributes.get(key)));
  }

  /** Every message with one outcome (all published, or all failed with the thrown error). */
  function countAll(messages: readonly OutboxMessage[], outcome: Outcome) {
    const prefix = `${outcome ?? ''}\0`;
    const topic = sameTopic(messages);
    if (topic !== undefined) {
      sent.add(messages.length, sentAttributes.get(prefix + topic));
      return;
    }
    const counts = new Map<string, number>();
    for (const m of messages) counts.set(m.topic, (counts.get(m.topic) ?? 0) + 1);
    counts.forEach((n, t) => sent.add(n, sentAttributes.get(prefix + t)));
  }
}

function resolveOptions(options: WrapProducerOptions): Required<WrapProducerOptions> {
  if (options === null || typeof options !== 'object') throw invalidOption('options', options, 'of wrapProducer must be an object');
  rejectUnknownOptions<WrapProducerOptions>(options, { system: true, maxLinks: true });
  const { system = 'txbox', maxLinks = 128 } = options;
  if (typeof system !== 'string' || system.length === 0) throw invalidOption('system', system, 'must be a non-empty string');
  if (!Number.isInteger(maxLinks) || maxLinks < 0) throw invalidOption('maxLinks', maxLinks, 'must be an integer >= 0');
  return { system, maxLinks };
}

function sameTopic(messages: readonly OutboxMessage[]): string | undefined {
  const first = messages[0]?.topic;
  for (const m of messages) if (m.topic !== first) return undefined;
  return first;
}

/**
 * A link to the trace context each message carries (the span active at send()), for the first
 * `max` messages that carry one: past the SDK's link limit they would be made only to be dropped.
 */
function links(messages: readonly OutboxMessage[], propagation: Propagation, max: number): Link[] {
  const out: Link[] = [];
  if (max === 0) return out;
  const read = propagation.spanContextReader();
  for (const m of messages) {
    const sc = read(m.headers);
    if (sc === undefined) continue;
    out.push({ context: sc, attributes: { [ATTR.messageId]: m.id } });
    if (out.length === max) break;
  }
  return out;
}
