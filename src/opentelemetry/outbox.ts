import { context, SpanKind, SpanStatusCode, trace, type Meter, type Tracer } from '@opentelemetry/api';
import type { MessageInput } from '../core/message.js';
import type { Outbox, SendResult } from '../core/outbox.js';
import { ATTR, errorType, METRIC } from './names.js';
import type { Propagation } from './propagation.js';

type Input = MessageInput | readonly MessageInput[];

/**
 * An outbox whose `send()` runs in a `send` producer span: the messages carry that span's context
 * (through the propagator, baggage included) unless they set `traceContext` themselves, and the
 * stored ones are counted per topic. Counted when written: a transaction that rolls back later
 * still counts.
 */
export function instrumentOutbox<Tx>(outbox: Outbox<Tx>, tracer: Tracer, meter: Meter, propagation: Propagation): Outbox<Tx> {
  const sent = meter.createCounter(METRIC.outboxSent, { unit: '{message}', description: 'Messages written to the outbox by send()' });
  const { kind, name } = outbox.store.key;

  const around = <R extends SendResult | Promise<SendResult>>(input: Input, call: (stamped: Input) => R): R => {
    const list: readonly unknown[] = Array.isArray(input) ? input : [input];
    const topic = sameTopic(list);
    const span = tracer.startSpan(topic === undefined ? 'send' : `send ${topic}`, {
      kind: SpanKind.PRODUCER,
      attributes: { [ATTR.system]: 'txbox', [ATTR.operationName]: 'send', [ATTR.operationType]: 'send', [ATTR.batchCount]: list.length, [ATTR.outboxKind]: kind, [ATTR.outboxName]: name, ...(topic === undefined ? {} : { [ATTR.destination]: topic }) },
    });
    const ctx = trace.setSpan(context.active(), span);
    const fields = propagation.inject(ctx);
    const stamp = (m: MessageInput): MessageInput => (fields && isPlainMessage(m) && m.traceContext === undefined ? { ...m, traceContext: fields } : m);
    const stamped: Input = Array.isArray(input) ? input.map(stamp) : stamp(input as MessageInput);
    const done = (result: SendResult) => {
      countStored(list, result);
      span.end();
      return result;
    };
    const failed = (error: unknown) => {
      span.setAttribute(ATTR.errorType, errorType(error));
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      span.end();
      throw error;
    };
    let result: R;
    try {
      result = context.with(ctx, () => call(stamped));
    } catch (error) {
      return failed(error);
    }
    return (result instanceof Promise ? result.then(done, failed) : done(result as SendResult)) as R;
  };

  function countStored(list: readonly unknown[], result: SendResult) {
    const duplicates = new Set(result.duplicates);
    const counts = new Map<string, number>();
    result.ids.forEach((id, i) => {
      const topic = (list[i] as MessageInput).topic;
      if (!duplicates.has(id)) counts.set(topic, (counts.get(topic) ?? 0) + 1);
    });
    counts.forEach((n, topic) => sent.add(n, { [ATTR.destination]: topic, [ATTR.outboxKind]: kind, [ATTR.outboxName]: name }));
  }

  return {
    ...outbox,
    send: (tx, input) => around(input, (stamped) => outbox.send(tx, stamped)),
    sendSync: (tx, input) => around(input, (stamped) => outbox.sendSync(tx, stamped)),
  };
}

function isPlainMessage(m: unknown): m is MessageInput {
  return m !== null && typeof m === 'object' && !Array.isArray(m);
}

function sameTopic(list: readonly unknown[]): string | undefined {
  const first = (list[0] as MessageInput | undefined)?.topic;
  return typeof first === 'string' && list.every((m) => isPlainMessage(m) && m.topic === first) ? first : undefined;
}
