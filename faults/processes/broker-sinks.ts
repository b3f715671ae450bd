import type { SinkConfig } from './config.js';
import type { Sink } from './sinks.js';

/**
 * Relays publishing to a real broker through txbox's own producers, configured as the transport
 * docs recommend for a broker that may go away: reconnecting connections, and publishes that fail
 * fast while disconnected.
 */
export async function brokerSink(cfg: Exclude<SinkConfig, { kind: 'file' }>, _by: string): Promise<Sink> {
  if (cfg.kind === 'rabbitmq') {
    const amqp = (await import('amqplib')).default;
    const { confirmChannelSource, createRabbitMqProducer } = await import('../../src/transports/rabbitmq/index.js');
    const source = confirmChannelSource(async () => {
      const c = await amqp.connect(cfg.url);
      c.on('error', () => {});
      return c;
    });
    const producer = createRabbitMqProducer({ channel: source, exchange: '', routingKey: () => cfg.queue, publishTimeoutMs: 2000 });
    return { produce: (m, c) => producer.produce(m, c), close: () => source.close().catch(() => {}) };
  }
  if (cfg.kind === 'nats') {
    const { connect, headers } = await import('@nats-io/transport-node');
    const { jetstream } = await import('@nats-io/jetstream');
    const { createNatsProducer } = await import('../../src/transports/nats/index.js');
    const nc = await connect({ servers: cfg.url.replace(/^nats:\/\//, ''), maxReconnectAttempts: -1, reconnectTimeWait: 200 });
    const producer = createNatsProducer({ js: jetstream(nc), headers, connection: nc, subject: () => cfg.subject, publishTimeoutMs: 2000 });
    return { produce: (m, c) => producer.produce(m, c), close: () => nc.close().catch(() => {}) };
  }
  if (cfg.kind === 'redis') {
    const { Redis } = await import('ioredis');
    const { createRedisProducer } = await import('../../src/transports/redis/index.js');
    const redis = new Redis(cfg.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: () => 200 });
    redis.on('error', () => {});
    const producer = createRedisProducer({ redis, stream: cfg.stream, publishTimeoutMs: 2000 });
    return { produce: (m, c) => producer.produce(m, c), close: async () => void redis.disconnect() };
  }
  const mqtt = (await import('mqtt')).default;
  const { createMqttProducer } = await import('../../src/transports/mqtt/index.js');
  const client = mqtt.connect(cfg.url, { protocolVersion: 5, reconnectPeriod: 200, connectTimeout: 2000 });
  client.on('error', () => {});
  const producer = createMqttProducer({ client, topic: () => cfg.topic, publishTimeoutMs: 2000 });
  return { produce: (m, c) => producer.produce(m, c), close: () => client.endAsync(true).catch(() => {}) };
}
