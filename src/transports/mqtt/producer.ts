import { rejectUnknownOptions } from '../../core/option-keys.js';
import { checkObject, optionalFunction, PUBLISH_OPTION_KEYS, type PublishOptions, resolvePublishOptions } from '../shared/options.js';
import { invalidOption, PermanentFailure } from '../../core/errors.js';
import type { OutboxMessage } from '../../core/message.js';
import type { ProduceContext, ProduceResult } from '../../core/producer.js';
import { markUnavailable, notSent, publishFailure, unavailable } from '../shared/failures.js';
import { publishInKeyOrder, type KeyedPlan } from '../shared/keyed.js';
import { HEADER, payloadBuffer } from '../shared/received.js';
import type { MqttClientLike, MqttPublishOptionsLike } from './types.js';

export interface MqttProducerOptions extends PublishOptions {
  /** An mqtt.js client. With `protocolVersion: 5` the id, key and headers travel as user properties. */
  client: MqttClientLike;
  /** MQTT topic. Default: the message's topic. */
  topic?: (message: OutboxMessage) => string;
  /** 1 (default) or 2. QoS 0 has no acknowledgement, so it cannot be reported as published. */
  qos?: 1 | 2;
}

export interface MqttProducer {
  produce(messages: readonly OutboxMessage[], context: ProduceContext): Promise<ProduceResult>;
}

/** PUBACK reason codes that no retry can change: not authorized, bad topic, too large, bad payload format. */
const PERMANENT_REASONS = new Set([0x87, 0x90, 0x95, 0x99]);

/**
 * Publishes each message with QoS 1 and waits for the broker's PUBACK. On an MQTT 5 connection
 * the message id, topic, key and headers travel as user properties and the content type as the
 * content-type property; MQTT 3.1.1 has no properties, so only the payload travels.
 */
export function createMqttProducer(options: MqttProducerOptions): MqttProducer {
  checkObject(options, 'createMqttProducer');
  rejectUnknownOptions<MqttProducerOptions>(options, { ...PUBLISH_OPTION_KEYS, client: true, topic: true, qos: true });
  const { client } = options;
  if (typeof client?.publishAsync !== 'function') throw invalidOption('client', client, 'must be an mqtt.js client (mqtt 5 or later)');
  const topicOf = optionalFunction<(m: OutboxMessage) => string>('topic', options.topic) ?? ((m) => m.topic);
  const qos = options.qos ?? 1;
  if (qos !== 1 && qos !== 2) throw invalidOption('qos', qos, 'must be 1 or 2');
  const plan: KeyedPlan = { ...resolvePublishOptions(options, 64), what: 'the MQTT broker' };

  const publishOne = async (m: OutboxMessage) => {
    const topic = checkTopic(m, topicOf);
    // mqtt.js keeps a publish made while offline until it reconnects: fail now instead.
    if (!client.connected) throw notSent('mqtt', 'the client is not connected');
    const v5 = client.options?.protocolVersion === 5;
    const publishOptions: MqttPublishOptionsLike = { qos, ...(v5 && { properties: toProperties(m) }) };
    try {
      await client.publishAsync(topic, payloadBuffer(m.payload), publishOptions);
    } catch (error) {
      throw classify(error, m);
    }
  };

  return {
    produce: (messages, { signal }) => publishInKeyOrder(messages, signal, plan, publishOne),
  };
}

function toProperties(m: OutboxMessage) {
  const userProperties: Record<string, string> = { ...m.headers, [HEADER.id]: m.id, [HEADER.topic]: m.topic };
  if (m.key !== null) userProperties[HEADER.key] = m.key;
  return { userProperties, contentType: m.contentType };
}

function checkTopic(m: OutboxMessage, topicOf: (m: OutboxMessage) => string): string {
  let topic: unknown;
  try {
    topic = topicOf(m);
  } catch (error) {
    throw new PermanentFailure(`mqtt: the topic option threw for message ${m.id}`, { cause: error, field: 'topic' });
  }
  if (typeof topic !== 'string' || topic.length === 0 || /[+#\u0000]/.test(topic) || Buffer.byteLength(topic) > 65_535) {
    throw new PermanentFailure(`mqtt: message ${m.id} maps to an invalid topic name (empty, wildcard or too long)`, { field: 'topic', value: topic });
  }
  return topic;
}

function classify(error: unknown, m: OutboxMessage): Error {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'number' && PERMANENT_REASONS.has(code)) {
    return new PermanentFailure(`mqtt: the broker refused message ${m.id} (reason ${code}: ${(error as Error).message})`, { cause: error });
  }
  if (typeof code === 'number') return publishFailure('mqtt', `the broker refused message ${m.id} (reason ${code})`, error);
  // Anything else comes from the connection (closed, disconnecting): MQTT is unreachable.
  return markUnavailable(publishFailure('mqtt', 'publish failed', error));
}
