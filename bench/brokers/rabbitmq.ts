import amqplib from 'amqplib';
import type { OutboxMessage, ProduceFn } from '../../src/core/index.js';
import { createRabbitMqProducer } from '../../src/transports/rabbitmq/index.js';
import type { RawRow } from '../lib/raw.js';

export const RABBITMQ_URL = process.env.TXBOX_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

export interface BrokerRig {
  readonly name: string;
  /** txbox/rabbitmq's producer on this broker, with the given in-flight limit (undefined: its default). */
  producer(maxInFlight?: number): ProduceFn;
  /** The hand-written publish: every row of the batch published, then all confirms awaited. */
  publishRaw(rows: RawRow[]): Promise<void>;
  /** Messages sitting at the destination, to check a run delivered everything. */
  count(): Promise<number>;
  purge(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A durable queue bound to its own exchange; persistent messages, publisher confirms and
 * `mandatory` on both sides, so the hand-written loop pays for the same guarantees.
 */
export async function openRabbitMq(): Promise<BrokerRig> {
  const tag = `txbox_bench_${process.pid}`;
  const connection = await amqplib.connect(RABBITMQ_URL);
  connection.on('error', () => {});
  const channel = await connection.createConfirmChannel();
  channel.on('error', () => {});
  const admin = await connection.createChannel();
  await admin.assertExchange(tag, 'direct', { durable: true, autoDelete: false });
  await admin.assertQueue(tag, { durable: true });
  await admin.bindQueue(tag, tag, 'order.created');
  return {
    name: 'rabbitmq',
    producer(maxInFlight) {
      const p = createRabbitMqProducer({ channel, exchange: tag, ...(maxInFlight !== undefined && { maxInFlight }) });
      return (messages: readonly OutboxMessage[], context) => p.produce(messages, context);
    },
    async publishRaw(rows) {
      for (const r of rows) {
        channel.publish(tag, r.topic, r.payload, {
          mandatory: true,
          persistent: true,
          messageId: r.id,
          contentType: r.content_type,
          type: r.topic,
          timestamp: Math.floor(Date.now() / 1000),
        });
      }
      await channel.waitForConfirms();
    },
    count: async () => (await admin.checkQueue(tag)).messageCount,
    purge: async () => {
      await admin.purgeQueue(tag);
    },
    async close() {
      await admin.deleteQueue(tag).catch(() => {});
      await admin.deleteExchange(tag).catch(() => {});
      await connection.close().catch(() => {});
    },
  };
}
