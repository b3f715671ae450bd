import type { Logger } from '../../core/logger.js';
import { errorReporter } from '../shared/report.js';
import { rejectUnknownOptions } from '../../core/option-keys.js';
import type { ProcessHook } from '../../core/process-hook.js';
import { invalidOption, isPermanent } from '../../core/errors.js';
import { checkObject, integerOption, requiredFunction, optionalFunction } from '../shared/options.js';
import { HEADER, ownHeaders, instrumented, safeCall, type ConsumeErrorListener, type MessageHandler, type ReceivedMessage, type Subscription } from '../shared/received.js';
import { sessionResumer } from './redelivery.js';
import type { MqttPacketLike, MqttSubscriberLike } from './types.js';

export interface MqttConsumerOptions {
  /**
   * An mqtt.js client with `protocolVersion: 5`. For redelivery after a failed handler or a crash,
   * use a fixed `clientId`, `clean: false`, a session expiry interval and `manualConnect: true`:
   * consumeMqtt connects it once its handler is in place, because the broker sends what it queued
   * for the session right after connecting.
   */
  client: MqttSubscriberLike;
  /**
   * After a failed handler, wait this long, then resume the persistent session (disconnect and
   * connect again) so the broker redelivers what is unacknowledged. Default 1000.
   */
  redeliveryDelayMs?: number;
  /** The wait doubles while handlers keep failing, up to this. Default 30000. */
  maxRedeliveryDelayMs?: number;
  /** Topic filter (wildcards allowed). */
  topic: string;
  handler: MessageHandler;
  /** Wraps each handler call, e.g. `instrument: otel.process` (txbox/opentelemetry) for a process span continuing the message's trace. */
  instrument?: ProcessHook;
  onError?: ConsumeErrorListener;
  /** Where failures go when there is no `onError`: default the console (warn), `false` silent. */
  logger?: Logger | false;
}

const RESERVED = new Set([HEADER.id, HEADER.topic, HEADER.key]);

/**
 * Subscribes with QoS 1 and acknowledges (PUBACK) a message only after its handler resolved:
 * mqtt.js handles one incoming message at a time and sends the PUBACK when `handleMessage` calls
 * back. After a failed handler no PUBACK is sent, and the broker redelivers the message when the
 * session resumes (MQTT forbids redelivery within a connection): with a persistent session, the
 * helper resumes it itself after `redeliveryDelayMs`. Messages without the id user
 * property (not from txbox, or sent over MQTT 3.1.1) are acknowledged and reported to `onError`.
 */
export async function consumeMqtt(options: MqttConsumerOptions): Promise<Subscription> {
  checkObject(options, 'consumeMqtt');
  rejectUnknownOptions<MqttConsumerOptions>(options, { client: true, topic: true, handler: true, onError: true, logger: true, redeliveryDelayMs: true, maxRedeliveryDelayMs: true, instrument: true });
  const { client, topic } = options;
  const onError = errorReporter('mqtt consumer', options.onError, options.logger);
  if (typeof client?.subscribeAsync !== 'function' || typeof client.handleMessage !== 'function') {
    throw invalidOption('client', client, 'must be an mqtt.js client');
  }
  if (client.options?.protocolVersion !== 5) throw invalidOption('client', client, 'must be connected with protocolVersion: 5 (ids travel as user properties)');
  if (typeof topic !== 'string' || topic.length === 0) throw invalidOption('topic', topic, 'must be a non-empty topic filter');
  if (client.options.clean === false && client.connected) {
    throw invalidOption('client', client, 'is a persistent-session client that is already connected: what the broker queued for it was acknowledged before any handler was in place; create it with manualConnect: true and let consumeMqtt connect it');
  }
  const handler = instrumented(requiredFunction<MessageHandler>('handler', options.handler), optionalFunction<ProcessHook>('instrument', options.instrument), 'mqtt', topic);
  const delayMs = integerOption('redeliveryDelayMs', options.redeliveryDelayMs, 1000, 0, 3_600_000);
  const maxDelayMs = integerOption('maxRedeliveryDelayMs', options.maxRedeliveryDelayMs, Math.max(30_000, delayMs), delayMs, 3_600_000);
  const persistent = client.options.clean === false;
  if (persistent && (typeof client.end !== 'function' || typeof client.reconnect !== 'function' || typeof client.once !== 'function')) {
    throw invalidOption('client', client, 'must be an mqtt.js client (end, reconnect and once are needed to resume its session after a failed handler)');
  }

  const previous = client.handleMessage;
  let inFlight = Promise.resolve();
  let active = true;
  // Without a persistent session nothing would come back: a clean session drops what is unacknowledged.
  const resumer = persistent ? sessionResumer(client, { delayMs, maxDelayMs, idle: () => inFlight }) : undefined;
  const ours: MqttSubscriberLike['handleMessage'] = (packet, callback) => {
    if (!active || packet.cmd !== 'publish' || !packet.topic || !topicMatches(topic, packet.topic)) {
      return previous.call(client, packet, callback);
    }
    const run = handle(packet).then(() => callback(), (error: Error) => callback(error));
    inFlight = run.catch(() => {});
  };
  client.handleMessage = ours;

  const handle = async (packet: MqttPacketLike) => {
    const message = decode(packet);
    if (!message) {
      safeCall(onError, new Error(`mqtt: message on "${packet.topic}" without the ${HEADER.id} user property`));
      return;
    }
    try {
      await handler(message);
      resumer?.succeeded();
    } catch (error) {
      safeCall(onError, error, message);
      // Given up (PermanentFailure): acknowledged so it stops coming back; MQTT has no dead letters.
      if (isPermanent(error)) return;
      resumer?.failed();
      throw error;
    }
  };

  try {
    // A manually connected client connects only now, with the handler in place for the session's
    // backlog; unless connect() was already called (its stream exists): a second call would open a
    // second connection with the same client id, and the broker's session takeover would close the
    // first one under this SUBSCRIBE. Its packets are read in later ticks, after the handler is in.
    if (client.options.manualConnect && !client.connected && client.stream === undefined) client.connect?.();
    await client.subscribeAsync(topic, { qos: 1 });
  } catch (error) {
    if (client.handleMessage === ours) client.handleMessage = previous;
    throw error;
  }
  let stopped: Promise<void> | undefined;
  return {
    stop() {
      stopped ??= (async () => {
        active = false;
        await resumer?.stop();
        await client.unsubscribeAsync(topic).catch(() => {});
        await inFlight;
        // Another wrapper installed after ours stays; ours then just passes everything through.
        if (client.handleMessage === ours) client.handleMessage = previous;
      })();
      return stopped;
    },
  };
}

function decode(packet: MqttPacketLike): ReceivedMessage | undefined {
  const props = packet.properties?.userProperties ?? {};
  const one = (name: string) => {
    const v = props[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const id = one(HEADER.id);
  if (!id) return undefined;
  return {
    id,
    topic: one(HEADER.topic) ?? packet.topic ?? '',
    key: one(HEADER.key) ?? null,
    headers: ownHeaders(Object.entries(props).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : v]), RESERVED),
    payload: typeof packet.payload === 'string' ? Buffer.from(packet.payload) : (packet.payload ?? Buffer.alloc(0)),
    contentType: packet.properties?.contentType ?? null,
  };
}

/** MQTT topic filter matching: `+` is one level, a trailing `#` any number (including none). */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return i === f.length - 1;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
    // Wildcards never match topics starting with $ (broker-internal topics).
    if (i === 0 && f[i] === '+' && t[0]!.startsWith('$')) return false;
  }
  return f.length === t.length;
}
