import { context, SpanKind, SpanStatusCode, trace, type Attributes, type Meter, type Tracer } from '@opentelemetry/api';
import { isPermanent } from '../core/errors.js';
import type { ProcessHook, ProcessInfo } from '../core/process-hook.js';
import { KeyedCache } from './cache.js';
import { ATTR, errorType, METRIC, SECONDS_BUCKETS } from './names.js';
import type { Propagation } from './propagation.js';

/**
 * The `instrument` hook of consumer helpers and in-process consumers: a `process` span whose
 * parent is the message's trace context (baggage included, so the handler sees it in
 * `context.active()`), the conventions' consumed/duration metrics, and handled/retried/poisoned
 * counts.
 */
export function processHook(tracer: Tracer, meter: Meter, propagation: Propagation): ProcessHook {
  const consumed = meter.createCounter(METRIC.clientConsumed, { unit: '{message}', description: 'Messages handed to a handler' });
  const duration = meter.createHistogram(METRIC.processDuration, { unit: 's', description: 'Handler duration', advice: { explicitBucketBoundaries: SECONDS_BUCKETS } });
  const outcomes = meter.createCounter(METRIC.consumerMessages, { unit: '{message}', description: 'Handled messages by outcome: handled, retried, poisoned' });

  // Per system, subscription and topic, built once: a consumer calls the hook for every message.
  const perTarget = new KeyedCache((key: string) => {
    const [system, subscription, topic] = JSON.parse(key) as [string, string | null, string];
    const attributes: Attributes = {
      [ATTR.system]: system,
      [ATTR.destination]: topic,
      [ATTR.operationName]: 'process',
      [ATTR.operationType]: 'process',
      ...(subscription === null ? {} : { [ATTR.subscription]: subscription }),
    };
    const outcome = (o: string): Attributes => ({ ...attributes, [ATTR.outcome]: o });
    return { spanName: `process ${topic}`, attributes, handled: outcome('handled'), retried: outcome('retried'), poisoned: outcome('poisoned') };
  });

  return <T>(info: ProcessInfo, run: () => Promise<T>): Promise<T> => {
    const { message } = info;
    const target = perTarget.get(JSON.stringify([info.system, info.subscription ?? null, message.topic]));
    const { attributes } = target;
    const parent = propagation.extract(message.headers, context.active());
    const span = tracer.startSpan(target.spanName, { kind: SpanKind.CONSUMER, attributes: { [ATTR.messageId]: message.id, ...attributes } }, parent);
    consumed.add(1, attributes);
    const start = performance.now();
    const finish = (error?: unknown) => {
      const seconds = (performance.now() - start) / 1000;
      if (error === undefined) {
        duration.record(seconds, attributes);
        outcomes.add(1, target.handled);
      } else {
        const type = errorType(error);
        duration.record(seconds, { ...attributes, [ATTR.errorType]: type });
        outcomes.add(1, givenUp(info, error) ? target.poisoned : target.retried);
        span.setAttribute(ATTR.errorType, type);
        span.recordException(error instanceof Error ? error : String(error));
        span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      }
      span.end();
    };
    let running: Promise<T>;
    try {
      running = context.with(trace.setSpan(parent, span), run);
    } catch (error) {
      running = Promise.reject(error);
    }
    return running.then(
      (value) => {
        finish();
        return value;
      },
      (error: unknown) => {
        finish(error);
        throw error;
      },
    );
  };
}

/** Dead-lettered rather than retried: a permanent failure, or the last try a consumer allows. */
function givenUp(info: ProcessInfo, error: unknown): boolean {
  if (isPermanent(error)) return true;
  return info.attempt !== undefined && info.maxAttempts !== undefined && info.attempt >= info.maxAttempts;
}
