import type { Logger } from '../../core/logger.js';
import { errorReporter } from '../shared/report.js';
import { rejectUnknownOptions } from '../../core/option-keys.js';
import type { ProcessHook } from '../../core/process-hook.js';
import { invalidOption, isPermanent } from '../../core/errors.js';
import { checkObject, integerOption, requiredFunction, optionalFunction } from '../shared/options.js';
import { HEADER, ownHeaders, instrumented, safeCall, sleep, type ConsumeErrorListener, type MessageHandler, type ReceivedMessage, type Subscription } from '../shared/received.js';
import type { AmqpMessageLike, ConsumeChannelLike } from './types.js';

export interface RabbitMqConsumerOptions {
  /** An amqplib channel used by this consumer alone (prefetch is set on it). */
  channel: ConsumeChannelLike;
  queue: string;
  handler: MessageHandler;
  /** Unacknowledged messages the broker may send ahead. Default 16. */
  prefetch?: number;
  /** Wait before handing a failed message back to the queue, so a failing handler does not spin. Default 1000. */
  retryDelayMs?: number;
  /** Wraps each handler call, e.g. `instrument: otel.process` (txbox/opentelemetry) for a process span continuing the message's trace. */
  instrument?: ProcessHook;
  onError?: ConsumeErrorListener;
  /** Where failures go when there is no `onError`: default the console (warn), `false` silent. */
  logger?: Logger | false;
}

const RESERVED = new Set([HEADER.key]);

/**
 * Consumes a queue one message at a time (so the handler sees the queue's order) with manual
 * acknowledgement: ack after the handler resolved, nack with requeue after it threw (without
 * requeue, to the dead-letter exchange, when it threw `PermanentFailure`). A message
 * without a message id did not come from txbox: it is rejected without requeue (to the queue's
 * dead-letter exchange, if it has one).
 */
export async function consumeRabbitMq(options: RabbitMqConsumerOptions): Promise<Subscription> {
  checkObject(options, 'consumeRabbitMq');
  rejectUnknownOptions<RabbitMqConsumerOptions>(options, { channel: true, queue: true, handler: true, prefetch: true, retryDelayMs: true, onError: true, logger: true, instrument: true });
  const { channel, queue } = options;
  const onError = errorReporter('rabbitmq consumer', options.onError, options.logger);
  if (typeof channel?.consume !== 'function') throw invalidOption('channel', channel, 'must be an amqplib channel');
  if (typeof queue !== 'string' || queue.length === 0) throw invalidOption('queue', queue, 'must be a non-empty string');
  const handler = instrumented(requiredFunction<MessageHandler>('handler', options.handler), optionalFunction<ProcessHook>('instrument', options.instrument), 'rabbitmq', queue);
  const prefetch = integerOption('prefetch', options.prefetch, 16, 1, 65_535);
  const retryDelayMs = integerOption('retryDelayMs', options.retryDelayMs, 1000, 0, 3_600_000);
  const stopping = new AbortController();
  let chain = Promise.resolve();

  const handle = async (raw: AmqpMessageLike) => {
    const message = decode(raw);
    if (!message) {
      safeCall(onError, new Error(`rabbitmq: message without a message id on queue "${queue}" rejected`));
      return channel.nack(raw, false, false);
    }
    try {
      await handler(message);
      channel.ack(raw);
    } catch (error) {
      safeCall(onError, error, message);
      // Given up (PermanentFailure): rejected without requeue, to the queue's dead-letter exchange.
      if (isPermanent(error)) return channel.nack(raw, false, false);
      await sleep(retryDelayMs, stopping.signal);
      channel.nack(raw, false, true);
    }
  };

  await channel.prefetch(prefetch);
  const { consumerTag } = await channel.consume(
    queue,
    (raw) => {
      // null: the broker cancelled the consumer (queue deleted).
      if (raw) chain = chain.then(() => handle(raw)).catch((error) => safeCall(onError, error));
    },
    { noAck: false },
  );
  let stopped: Promise<void> | undefined;
  return {
    stop() {
      stopped ??= (async () => {
        stopping.abort();
        await channel.cancel(consumerTag).catch(() => {});
        await chain;
      })();
      return stopped;
    },
  };
}

function decode(raw: AmqpMessageLike): ReceivedMessage | undefined {
  const { messageId, type, contentType, headers = {} } = raw.properties;
  if (typeof messageId !== 'string' || messageId.length === 0) return undefined;
  const key = headers[HEADER.key];
  return {
    id: messageId,
    topic: typeof type === 'string' ? type : raw.fields.routingKey,
    key: key === undefined || key === null ? null : String(key),
    headers: ownHeaders(Object.entries(headers), RESERVED),
    payload: raw.content,
    contentType: typeof contentType === 'string' ? contentType : null,
  };
}
