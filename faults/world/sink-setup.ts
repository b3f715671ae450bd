import type { SinkConfig } from '../processes/config.js';

/**
 * Prepares a broker destination before any relay publishes: RabbitMQ's durable queue, the NATS
 * stream and its durable pull consumer, the MQTT consumer's persistent session (a broker keeps
 * QoS 1 messages only for sessions that subscribed). Redis' consumer group is created by the
 * consumer helper, reading from the stream's start.
 */
export async function prepareSink(sink: SinkConfig): Promise<void> {
  if (sink.kind === 'rabbitmq') {
    const amqp = (await import('amqplib')).default;
    const c = await amqp.connect(sink.url);
    try {
      const ch = await c.createChannel();
      await ch.assertQueue(sink.queue, { durable: true });
    } finally {
      await c.close();
    }
  } else if (sink.kind === 'nats') {
    const { connect } = await import('@nats-io/transport-node');
    const { jetstreamManager, AckPolicy } = await import('@nats-io/jetstream');
    const nc = await connect({ servers: sink.url.replace(/^nats:\/\//, '') });
    try {
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: sink.stream, subjects: [sink.subject] });
      // A message handed to a consumer that died is redelivered after ack_wait. With more than one
      // message unacknowledged, later ones would reach the next consumer first: one at a time
      // keeps each key's order across a consumer crash.
      await jsm.consumers.add(sink.stream, { durable_name: 'effects', ack_policy: AckPolicy.Explicit, ack_wait: 5_000_000_000, max_ack_pending: 1 });
    } finally {
      await nc.close();
    }
  } else if (sink.kind === 'mqtt') {
    const mqtt = (await import('mqtt')).default;
    const client = await mqtt.connectAsync(sink.url, { protocolVersion: 5, clientId: `${sink.topic.replace(/\W/g, '')}-effects`, clean: false, properties: { sessionExpiryInterval: 3600 } });
    await client.subscribeAsync(sink.topic, { qos: 1 });
    await client.endAsync();
  }
}
