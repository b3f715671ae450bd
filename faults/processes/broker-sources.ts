import { appendFileSync } from 'node:fs';
import type { ReceivedMessage } from '../../src/transports/shared/received.js';
import { errorText, sleep } from '../util.js';
import type { ConsumerConfig, Receipt, SinkConfig } from './config.js';
import { emit } from './protocol.js';

type Apply = (receipts: readonly Receipt[]) => Promise<void>;

/**
 * Consumes from the broker with txbox's consumer helpers: every receipt is logged (no dedup)
 * before the effect is applied; the helper acknowledges after the effect committed. When the
 * broker connection is lost the process exits, and the harness starts a new one, as a process
 * supervisor would.
 */
export async function consumeBroker(cfg: ConsumerConfig, apply: Apply, stopping: () => boolean): Promise<void> {
  const handler = async (m: ReceivedMessage) => {
    const p = JSON.parse(m.payload.toString('utf8')) as { key: string; v: number };
    const receipt: Receipt = { id: m.id, key: p.key, v: p.v, by: cfg.name, t: Date.now() };
    appendFileSync(cfg.received, `${JSON.stringify(receipt)}\n`);
    await apply([receipt]);
    emit({ ev: 'progress', offset: 0, received: ++received });
  };
  let received = 0;
  let lost = false;
  const onLost = () => (lost = true);
  // A connection lost while subscribing is a lost connection too: exit, and let the supervisor start a new consumer.
  const stop = await subscribe(cfg.sink as Exclude<SinkConfig, { kind: 'file' }>, cfg.name, handler, onLost).catch((error: unknown) => {
    emit({ ev: 'consumer', type: 'subscribe.failed', error: errorText(error) });
    process.exit(3);
  });
  while (!stopping() && !lost) await sleep(50);
  await stop().catch(() => {});
  if (lost && !stopping()) {
    emit({ ev: 'consumer', type: 'connection.lost' });
    process.exit(3);
  }
}

async function subscribe(sink: Exclude<SinkConfig, { kind: 'file' }>, name: string, handler: (m: ReceivedMessage) => Promise<void>, onLost: () => void): Promise<() => Promise<void>> {
  if (sink.kind === 'rabbitmq') {
    const amqp = (await import('amqplib')).default;
    const { consumeRabbitMq } = await import('../../src/transports/rabbitmq/index.js');
    const connection = await amqp.connect(sink.url);
    connection.on('error', () => {});
    connection.on('close', onLost);
    const sub = await consumeRabbitMq({ channel: await connection.createChannel(), queue: sink.queue, handler, retryDelayMs: 50 });
    return async () => {
      await sub.stop();
      await connection.close().catch(() => {});
    };
  }
  if (sink.kind === 'nats') {
    const { connect } = await import('@nats-io/transport-node');
    const { jetstream } = await import('@nats-io/jetstream');
    const { consumeJetStream } = await import('../../src/transports/nats/index.js');
    const nc = await connect({ servers: sink.url.replace(/^nats:\/\//, ''), maxReconnectAttempts: 0 });
    void nc.closed().then(onLost);
    const consumer = await jetstream(nc).consumers.get(sink.stream, 'effects');
    const sub = await consumeJetStream({ consumer, handler, retryDelayMs: 50, onError: () => {} });
    return async () => {
      await sub.stop();
      await nc.close().catch(() => {});
    };
  }
  if (sink.kind === 'redis') {
    const { Redis } = await import('ioredis');
    const { consumeRedisStream } = await import('../../src/transports/redis/index.js');
    const redis = new Redis(sink.url, { maxRetriesPerRequest: 1, retryStrategy: () => null });
    redis.on('error', () => {});
    redis.on('end', onLost);
    const sub = await consumeRedisStream({ redis, stream: sink.stream, group: 'effects', consumer: 'effects', handler, retryDelayMs: 50, blockMs: 200, onError: () => {} });
    return async () => {
      await sub.stop();
      redis.disconnect();
    };
  }
  const mqtt = (await import('mqtt')).default;
  const { consumeMqtt } = await import('../../src/transports/mqtt/index.js');
  // A persistent session: what is published while this consumer is away waits for the next one.
  // The broker sends those messages right after CONNACK, so the handler must be in place before
  // the client connects: a manualConnect client, which consumeMqtt connects itself. Connecting it
  // here as well would open a second connection with the same client id, and the broker's session
  // takeover would close the first one under its SUBSCRIBE ("Connection closed").
  const client = mqtt.connect(sink.url, { protocolVersion: 5, clientId: `${sink.topic.replace(/\W/g, '')}-effects`, clean: false, reconnectPeriod: 0, manualConnect: true, properties: { sessionExpiryInterval: 3600 } });
  client.on('error', () => {});
  const sub = await consumeMqtt({ client, topic: sink.topic, handler });
  client.on('close', onLost);
  void name;
  return async () => {
    await sub.stop();
    await client.endAsync(true).catch(() => {});
  };
}
