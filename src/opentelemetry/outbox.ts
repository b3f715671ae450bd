import { context, SpanKind, SpanStatusCode, trace, type Attributes, type Meter, type Span, type Tracer } from '@opentelemetry/api';
import type { MessageInput } from '../core/message.js';
import type { Outbox, SendResult } from '../core/outbox.js';
import { KeyedCache } from './cache.js';
import { ATTR, errorType, METRIC } from './names.js';
import type { Propagation } from './propagation.js';
import { Totals } from './totals.js';

type Input = MessageInput | readonly MessageInput[];

/** What one send() call starts: its span, the context to run in, and the messages stamped with it. */
interface Started {
  readonly span: Span;
  readonly ctx: ReturnType<typeof context.active>;
  readonly list: readonly unknown[];
  readonly topic: string | undefined;
  readonly stamped: Input;
}

/**
 * An outbox whose `send()` runs in a `send` producer span: the messages carry that span's context
 * (through the propagator, baggage included) unless they set `traceContext` themselves, and the
 * stored ones are counted per topic (a running total, reported at collection: see Totals).
 * Counted when written: a transaction that rolls back later still counts.
 */
export function instrumentOutbox<Tx>(outbox: Outbox<Tx>, tracer: Tracer, meter: Meter, propagation: Propagation): Outbox<Tx> {
  const sent = Totals.of(meter, METRIC.outboxSent, { unit: '{message}', description: 'Messages written to the outbox by send()' });
  const { kind, name } = outbox.store.key;
  const outboxAttributes = { [ATTR.system]: 'txbox', [ATTR.operationName]: 'send', [ATTR.operationType]: 'send', [ATTR.outboxKind]: kind, [ATTR.outboxName]: name };
  // Per topic, built once: the span name, the attributes of a one-message send, and the count's.
  const perTopic = new KeyedCache((topic: string) => ({
    spanName: `send ${topic}`,
    single: { ...outboxAttributes, [ATTR.destination]: topic } as Attributes,
    sent: sent.total(JSON.stringify([kind, name, topic]), () => ({ [ATTR.destination]: topic, [ATTR.outboxKind]: kind, [ATTR.outboxName]: name })),
  }));

  function start(input: Input): Started {
    const list: readonly unknown[] = Array.isArray(input) ? input : [input];
    const topic = sameTopic(list);
    const entry = topic === undefined ? undefined : perTopic.get(topic);
    // The conventions' batch count is for the batch form of an API only: send(tx, [m]) has it, send(tx, m) not.
    const batch = Array.isArray(input);
    const attributes = entry && !batch ? entry.single : { ...outboxAttributes, ...(batch ? { [ATTR.batchCount]: list.length } : {}), ...(topic === undefined ? {} : { [ATTR.destination]: topic }) };
    const parent = context.active();
    const span = tracer.startSpan(entry ? entry.spanName : 'send', { kind: SpanKind.PRODUCER, attributes }, parent);
    const ctx = trace.setSpan(parent, span);
    const fields = propagation.inject(ctx);
    const stamped = fields === undefined ? input : Array.isArray(input) ? input.map((m: MessageInput) => stamp(m, fields)) : stamp(input as MessageInput, fields);
    return { span, ctx, list, topic, stamped };
  }

  function finish(s: Started, result: SendResult): SendResult {
    if (s.topic !== undefined && result.duplicates.length === 0) perTopic.get(s.topic).sent.count += result.ids.length;
    else countStored(s.list, result);
    s.span.end();
    return result;
  }

  /** Per topic, leaving out the dedup duplicates (they were not stored). */
  function countStored(list: readonly unknown[], result: SendResult) {
    const duplicates = new Set(result.duplicates);
    const counts = new Map<string, number>();
    result.ids.forEach((id, i) => {
      const topic = (list[i] as MessageInput).topic;
      if (!duplicates.has(id)) counts.set(topic, (counts.get(topic) ?? 0) + 1);
    });
    counts.forEach((n, topic) => (perTopic.get(topic).sent.count += n));
  }

  return {
    ...outbox,
    async send(tx, input) {
      const s = start(input);
      let result: SendResult;
      try {
        result = await context.with(s.ctx, outbox.send, outbox, tx, s.stamped);
      } catch (error) {
        throw failed(s.span, error);
      }
      return finish(s, result);
    },
    sendSync(tx, input) {
      const s = start(input);
      let result: SendResult;
      try {
        result = context.with(s.ctx, outbox.sendSync, outbox, tx, s.stamped);
      } catch (error) {
        throw failed(s.span, error);
      }
      return finish(s, result);
    },
  };
}

/** The span of a send() that threw (nothing was written): error status and type, ended. */
function failed(span: Span, error: unknown): unknown {
  span.setAttribute(ATTR.errorType, errorType(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
  span.end();
  return error;
}

/**
 * A copy of the message with the send span's context, unless it is not a message (send() refuses
 * it) or brings its own. The added key is written before the spread: V8 copies `{ ...m }` fast,
 * but adding a key after the spread takes a slow path, about 1 µs per message.
 */
function stamp(m: MessageInput, fields: Record<string, string>): MessageInput {
  if (!isPlainMessage(m) || m.traceContext !== undefined) return m;
  const copy = { traceContext: fields, ...m };
  if (copy.traceContext === undefined) copy.traceContext = fields; // m had `traceContext: undefined`
  return copy;
}

function isPlainMessage(m: unknown): m is MessageInput {
  return m !== null && typeof m === 'object' && !Array.isArray(m);
}

function sameTopic(list: readonly unknown[]): string | undefined {
  const first = (list[0] as MessageInput | undefined)?.topic;
  if (typeof first !== 'string' || first === '') return undefined; // send() refuses it: no name from it
  for (const m of list) if (!isPlainMessage(m) || m.topic !== first) return undefined;
  return first;
}
