import { rejectUnknownOptions } from '../../core/option-keys.js';
import { BROKER_MAX_IN_FLIGHT, checkObject, optionalFunction, type PerMessage, perMessageString, PUBLISH_OPTION_KEYS, type PublishOptions, resolvePublishOptions } from '../shared/options.js';
import { invalidOption, PermanentFailure } from '../../core/errors.js';
import type { OutboxMessage } from '../../core/message.js';
import type { ProduceContext, ProduceResult } from '../../core/producer.js';
import { withDeadline } from '../shared/deadline.js';
import { notSent, publishFailure, unavailable } from '../shared/failures.js';
import { failChainHeads, publishInKeyOrder, type KeyedPlan } from '../shared/keyed.js';
import { HEADER, payloadBuffer } from '../shared/received.js';
import type { AmqpPublishProperties, ConfirmChannelLike, ReturnedMessageLike } from './types.js';

export interface RabbitMqProducerOptions extends PublishOptions {
  /**
   * A confirm channel, or a function returning the live one (see `confirmChannelSource`, which
   * reconnects after the broker went away). A plain channel dies with its connection.
   */
  channel: ConfirmChannelLike | (() => ConfirmChannelLike | Promise<ConfirmChannelLike>);
  /** Exchange to publish to (`''` is the default exchange, which routes by queue name). */
  exchange: PerMessage<string>;
  /** Routing key. Default: the message's topic. */
  routingKey?: (message: OutboxMessage) => string;
  /** Delivery mode 2, so durable queues keep the message across a broker restart. Default true. */
  persistent?: boolean;
}

export interface RabbitMqProducer {
  produce(messages: readonly OutboxMessage[], context: ProduceContext): Promise<ProduceResult>;
}

const MAX_SHORT_STRING = 255;

/**
 * Publishes with publisher confirms and `mandatory`: a message counts as published only when the
 * broker acked it AND did not return it as unroutable (a return always precedes the ack).
 */
export function createRabbitMqProducer(options: RabbitMqProducerOptions): RabbitMqProducer {
  checkObject(options, 'createRabbitMqProducer');
  rejectUnknownOptions<RabbitMqProducerOptions>(options, { ...PUBLISH_OPTION_KEYS, channel: true, exchange: true, routingKey: true, persistent: true });
  const { channel } = options;
  if (typeof channel !== 'function' && typeof (channel as ConfirmChannelLike | null)?.publish !== 'function') {
    throw invalidOption('channel', channel, 'must be an amqplib confirm channel or a function returning one');
  }
  const getChannel = typeof channel === 'function' ? channel : () => channel;
  const exchange = perMessageString('exchange', options.exchange, undefined, true);
  const routingKey = optionalFunction<(m: OutboxMessage) => string>('routingKey', options.routingKey) ?? ((m) => m.topic);
  if (options.persistent !== undefined && typeof options.persistent !== 'boolean') throw invalidOption('persistent', options.persistent, 'must be a boolean');
  const persistent = options.persistent ?? true;
  const plan: KeyedPlan = { ...resolvePublishOptions(options, BROKER_MAX_IN_FLIGHT), what: 'RabbitMQ' };

  const publishOne = (ch: ConfirmChannelLike, returns: Map<string, ReturnedMessageLike>, m: OutboxMessage) => {
    const target = mapMessage(m, exchange, routingKey);
    const properties = toProperties(m, persistent);
    return new Promise<void>((resolve, reject) => {
      const confirmed = (error: unknown) => {
        const returned = returns.get(m.id);
        returns.delete(m.id);
        if (error) reject(confirmFailure(error));
        else if (returned) reject(unroutable(returned));
        else resolve();
      };
      try {
        ch.publish(target.exchange, target.routingKey, payloadBuffer(m.payload), properties, confirmed);
      } catch (error) {
        // amqplib throws at once on a closed channel: the broker is gone, fail fast.
        reject(notSent('rabbitmq', 'cannot publish', error));
      }
    });
  };

  return {
    async produce(messages, { signal }) {
      let ch: ConfirmChannelLike;
      try {
        ch = await withDeadline(async () => getChannel(), plan.publishTimeoutMs, signal, 'RabbitMQ');
        if (typeof ch?.publish !== 'function') throw new TypeError('the channel function returned no channel');
      } catch (error) {
        return failChainHeads(messages, notSent('rabbitmq', 'no channel', error));
      }
      const returns = returnsOf(ch);
      return publishInKeyOrder(messages, signal, plan, (m) => publishOne(ch, returns, m));
    },
  };
}

/** One 'return' listener per channel, shared by every producer publishing on it. */
const returnsByChannel = new WeakMap<ConfirmChannelLike, Map<string, ReturnedMessageLike>>();

function returnsOf(ch: ConfirmChannelLike): Map<string, ReturnedMessageLike> {
  let returns = returnsByChannel.get(ch);
  if (!returns) {
    const map = new Map<string, ReturnedMessageLike>();
    ch.on('return', (message) => {
      if (typeof message.properties.messageId === 'string') map.set(message.properties.messageId, message);
    });
    returnsByChannel.set(ch, (returns = map));
  }
  return returns;
}

function toProperties(m: OutboxMessage, persistent: boolean): AmqpPublishProperties {
  const properties: AmqpPublishProperties = {
    mandatory: true,
    persistent,
    messageId: m.id,
    contentType: m.contentType,
    type: m.topic,
    timestamp: Math.floor(m.createdAt.getTime() / 1000),
  };
  // No headers table at all when there is nothing to carry: encoding an empty one costs as much.
  let hasHeaders = m.key !== null;
  for (const _ in m.headers) {
    hasHeaders = true;
    break;
  }
  if (hasHeaders) properties.headers = m.key === null ? { ...m.headers } : { ...m.headers, [HEADER.key]: m.key };
  return properties;
}

/**
 * Where the message goes. A mapping that throws or yields a bad name fails the same way on every
 * attempt, so the message is dead-lettered at once (requeue it after fixing the mapping). AMQP
 * short strings hold 255 bytes; amqplib would throw while encoding, after registering the confirm
 * callback, which would misalign every later confirm on the channel: check first.
 */
function mapMessage(m: OutboxMessage, exchange: (m: OutboxMessage) => string, routingKey: (m: OutboxMessage) => string) {
  const target = { exchange: shortString(m, 'exchange', exchange), routingKey: shortString(m, 'routingKey', routingKey) };
  for (const name in m.headers) {
    if (tooLong(name)) {
      throw new PermanentFailure(`rabbitmq: header names are at most ${MAX_SHORT_STRING} bytes`, { field: `headers.${name.slice(0, 40)}`, value: name });
    }
  }
  return target;
}

function shortString(m: OutboxMessage, field: 'exchange' | 'routingKey', map: (m: OutboxMessage) => string): string {
  let value: unknown;
  try {
    value = map(m);
  } catch (error) {
    throw new PermanentFailure(`rabbitmq: the ${field} option threw for message ${m.id}`, { cause: error, field });
  }
  if (typeof value !== 'string' || tooLong(value)) {
    throw new PermanentFailure(`rabbitmq: ${field} of message ${m.id} must be a string of at most ${MAX_SHORT_STRING} bytes`, { field, value });
  }
  return value;
}

/** A UTF-16 unit takes at most 3 UTF-8 bytes, so short strings skip the byte count. */
const tooLong = (s: string) => s.length * 3 > MAX_SHORT_STRING && Buffer.byteLength(s) > MAX_SHORT_STRING;

/** A nack is the broker refusing this message; any other error is the channel closing under it. */
function confirmFailure(error: unknown): Error {
  if ((error as Error | undefined)?.message === 'message nacked') return publishFailure('rabbitmq', 'the broker nacked the message', error);
  return unavailable('rabbitmq', 'the channel closed before the broker confirmed', error);
}

/** No queue is bound for this routing key. Retryable: a binding may be added (then it goes through). */
function unroutable(returned: ReturnedMessageLike): Error {
  const { replyCode, replyText, exchange, routingKey } = returned.fields;
  return publishFailure('rabbitmq', `unroutable: exchange "${exchange}" returned routing key "${routingKey}" (${replyCode} ${replyText})`);
}
