import http from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect as connectNats, headers } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
import mqtt from 'mqtt';
import { consumeJetStream, createNatsProducer } from '../../src/transports/nats/index.js';
import { consumeRedisStream, createRedisProducer } from '../../src/transports/redis/index.js';
import { consumeMqtt, createMqttProducer } from '../../src/transports/mqtt/index.js';
import { createWebhookHandler, createWebhookProducer } from '../../src/transports/http/index.js';
import type { MessageHandler } from '../../src/transports/shared/received.js';
import type { ProcessHook } from '../../src/core/index.js';
import { MQTT_URL, NATS_URL, REDIS_URL } from '../transports/env.js';
import { uniqueName } from '../support/env.js';
import { otelPipeline } from './pipeline.js';

otelPipeline({
  name: 'NATS JetStream',
  system: 'nats',
  redelivers: true,
  async setup() {
    const nc = await connectNats({ servers: NATS_URL.replace(/^nats:\/\//, '') });
    const jsm = await jetstreamManager(nc);
    const name = uniqueName('tx_otel_nats');
    const topic = `${name}.ok`;
    await jsm.streams.add({ name, subjects: [topic] });
    await jsm.consumers.add(name, { durable_name: 'billing', ack_policy: AckPolicy.Explicit });
    const js = jetstream(nc);
    return {
      producer: createNatsProducer({ js, headers }),
      topic,
      consume: async (handler, instrument) => consumeJetStream({ consumer: await js.consumers.get(name, 'billing'), handler, instrument, retryDelayMs: 50 }),
      async close() {
        await jsm.streams.delete(name).catch(() => {});
        await nc.close();
      },
    };
  },
});

otelPipeline({
  name: 'Redis Streams',
  system: 'redis',
  redelivers: true,
  async setup() {
    const redis = new Redis(REDIS_URL);
    const reader = new Redis(REDIS_URL);
    for (const r of [redis, reader]) r.on('error', () => {});
    const topic = `${uniqueName('tx_otel_redis')}:ok`;
    return {
      producer: createRedisProducer({ redis, maxLen: 10_000 }),
      topic,
      consume: (handler, instrument) => consumeRedisStream({ redis: reader, stream: topic, group: 'billing', consumer: 'c1', handler, instrument, blockMs: 200, retryDelayMs: 50 }),
      async close() {
        await redis.del(topic).catch(() => 0);
        redis.disconnect();
        reader.disconnect();
      },
    };
  },
});

otelPipeline({
  name: 'MQTT',
  system: 'mqtt',
  redelivers: true,
  async setup() {
    const V5 = { protocolVersion: 5 as const, reconnectPeriod: 100, connectTimeout: 2000 };
    const topic = `${uniqueName('tx_otel_mqtt')}/orders`;
    const publisher = await mqtt.connectAsync(MQTT_URL, V5);
    publisher.on('error', () => {});
    // A persistent session, connected by consumeMqtt, so a failed handler's message comes back.
    const consumer = mqtt.connect(MQTT_URL, { ...V5, clientId: uniqueName('otel'), clean: false, properties: { sessionExpiryInterval: 30 }, manualConnect: true });
    consumer.on('error', () => {});
    return {
      producer: createMqttProducer({ client: publisher }),
      topic,
      consume: (handler, instrument) => consumeMqtt({ client: consumer, topic, handler, instrument, redeliveryDelayMs: 100 }),
      async close() {
        await publisher.endAsync(true);
        await consumer.endAsync(true);
      },
    };
  },
});

otelPipeline({
  name: 'HTTP webhooks',
  system: 'http',
  redelivers: true,
  failsPublish: true,
  async setup() {
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    let current: { handler: MessageHandler; instrument: ProcessHook } | undefined;
    let listener: http.RequestListener | undefined;
    const server = http.createServer((req, res) => (listener ? listener(req, res) : res.writeHead(503).end()));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return {
      producer: createWebhookProducer({ url: `http://127.0.0.1:${port}/hooks`, secret }),
      topic: uniqueName('orders.created'),
      async consume(handler, instrument) {
        current = { handler, instrument };
        listener = createWebhookHandler({ secret, handler: current.handler, instrument: current.instrument });
        return { stop: async () => void (listener = undefined) };
      },
      close: () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    };
  },
});
