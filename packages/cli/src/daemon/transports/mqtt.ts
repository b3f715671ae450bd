import { createMqttProducer, type MqttClientLike } from 'txbox/mqtt';
import { loadDriver } from '../../drivers.js';
import type { TransportOf } from '../transport-schema.js';
import { build, type OpenedTransport } from './opened.js';

interface MqttClient extends MqttClientLike {
  on(event: 'error', listener: (error: Error) => void): unknown;
  endAsync(force?: boolean): Promise<void>;
}

interface MqttModule {
  connect(url: string, options: object): MqttClient;
}

/** MQTT through `mqtt` (mqtt.js 5), loaded from the project. */
export async function openMqtt(t: TransportOf<'mqtt'>, field: string): Promise<OpenedTransport> {
  const mqtt = await loadDriver<MqttModule>('mqtt', `${field} (mqtt)`);
  const { url, username, password, clientId, protocolVersion, qos, topicPrefix, publishTimeoutMs, maxInFlight } = t;
  const options = { protocolVersion, reconnectPeriod: 1000, connectTimeout: publishTimeoutMs ?? 5000, ...(username !== undefined ? { username } : {}), ...(password !== undefined ? { password } : {}), ...(clientId !== undefined ? { clientId } : {}) };
  // Connects in the background and again after a loss; while it is down the producer reports the outage.
  const client = mqtt.connect(url, options);
  client.on('error', () => {});
  try {
    const producer = build(field, () =>
      createMqttProducer({
        client,
        topic: (m) => `${topicPrefix}${m.topic}`,
        ...(qos !== undefined ? { qos } : {}),
        ...(publishTimeoutMs !== undefined ? { publishTimeoutMs } : {}),
        ...(maxInFlight !== undefined ? { maxInFlight } : {}),
      }),
    );
    return { producer, system: 'mqtt', close: () => client.endAsync() };
  } catch (error) {
    await client.endAsync(true).catch(() => {});
    throw error;
  }
}
