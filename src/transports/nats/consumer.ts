import type { Logger } from '../../core/logger.js';
import { errorReporter } from '../shared/report.js';
import { rejectUnknownOptions } from '../../core/option-keys.js';
import type { ProcessHook } from '../../core/process-hook.js';
import { errorMessage, invalidOption, isPermanent } from '../../core/errors.js';
import { checkObject, integerOption, requiredFunction, optionalFunction } from '../shared/options.js';
import { HEADER, ownHeaders, instrumented, safeCall, type ConsumeErrorListener, type MessageHandler, type ReceivedMessage, type Subscription } from '../shared/received.js';
import { CONTENT_TYPE_HEADER, MSG_ID_HEADER } from './producer.js';
import type { JetStreamConsumerLike, JsMsgLike } from './types.js';

export interface JetStreamConsumerOptions {
  /** A pull consumer, e.g. `await js.consumers.get('ORDERS', 'billing')` (durable, explicit ack). */
  consumer: JetStreamConsumerLike;
  handler: MessageHandler;
  /** Messages pulled ahead of the handler. Default 16. */
  maxMessages?: number;
  /** Redelivery delay asked for (nak) after the handler failed. Default 1000. */
  retryDelayMs?: number;
  /** Wraps each handler call, e.g. `instrument: otel.process` (txbox/opentelemetry) for a process span continuing the message's trace. */
  instrument?: ProcessHook;
  onError?: ConsumeErrorListener;
  /** Where failures go when there is no `onError`: default the console (warn), `false` silent. */
  logger?: Logger | false;
}

const RESERVED = new Set([MSG_ID_HEADER, HEADER.topic, HEADER.key, CONTENT_TYPE_HEADER].map((h) => h.toLowerCase()));

/**
 * Consumes a JetStream pull consumer one message at a time: ack after the handler resolved, nak
 * (with a delay) after it threw. A message without `Nats-Msg-Id` did not come from txbox: it is
 * terminated, so it is not redelivered.
 */
export async function consumeJetStream(options: JetStreamConsumerOptions): Promise<Subscription> {
  checkObject(options, 'consumeJetStream');
  rejectUnknownOptions<JetStreamConsumerOptions>(options, { consumer: true, handler: true, maxMessages: true, retryDelayMs: true, onError: true, logger: true, instrument: true });
  const { consumer } = options;
  const onError = errorReporter('nats consumer', options.onError, options.logger);
  if (typeof consumer?.consume !== 'function') throw invalidOption('consumer', consumer, 'must be a JetStream consumer (js.consumers.get(...))');
  const handler = instrumented(requiredFunction<MessageHandler>('handler', options.handler), optionalFunction<ProcessHook>('instrument', options.instrument), 'nats');
  const maxMessages = integerOption('maxMessages', options.maxMessages, 16, 1, 10_000);
  const retryDelayMs = integerOption('retryDelayMs', options.retryDelayMs, 1000, 0, 3_600_000);

  const messages = await consumer.consume({ max_messages: maxMessages });
  const loop = (async () => {
    for await (const raw of messages) {
      const message = decode(raw);
      if (!message) {
        safeCall(onError, new Error(`nats: message on "${raw.subject}" without ${MSG_ID_HEADER} terminated`));
        raw.term('no message id');
        continue;
      }
      try {
        await handler(message);
        raw.ack();
      } catch (error) {
        safeCall(onError, error, message);
        // Given up (PermanentFailure): terminated, never redelivered (JetStream reports it as an advisory).
        if (isPermanent(error)) raw.term(errorMessage(error).slice(0, 200));
        else raw.nak(retryDelayMs);
      }
    }
  })().catch((error) => safeCall(onError, error));

  let stopped: Promise<void> | undefined;
  return {
    stop() {
      stopped ??= (async () => {
        await messages.close();
        await loop;
      })();
      return stopped;
    },
  };
}

function decode(raw: JsMsgLike): ReceivedMessage | undefined {
  const h = raw.headers;
  const get = (name: string) => (h && h.keys().includes(name) ? h.get(name) : undefined);
  const id = get(MSG_ID_HEADER);
  if (!id) return undefined;
  return {
    id,
    topic: get(HEADER.topic) ?? raw.subject,
    key: get(HEADER.key) ?? null,
    headers: h ? ownHeaders(h.keys().map((k) => [k, h.get(k)]), RESERVED) : {},
    payload: Buffer.from(raw.data.buffer, raw.data.byteOffset, raw.data.byteLength),
    contentType: get(CONTENT_TYPE_HEADER) ?? null,
  };
}
