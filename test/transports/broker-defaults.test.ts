import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import amqp from 'amqplib';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, headers } from '@nats-io/transport-node';
import { createRabbitMqProducer, type ConfirmChannelLike } from '../../src/transports/rabbitmq/index.js';
import { createNatsProducer } from '../../src/transports/nats/index.js';
import type { JetStreamPublisherLike } from '../../src/transports/nats/types.js';
import { AMQP_URL, NATS_URL, uniqueName } from './env.js';
import { context, message } from './harness.js';

/**
 * At their defaults the broker transports publish a whole default batch (500) before waiting for
 * the first confirm, as a hand-written confirmed-publish loop does; with fewer in flight a backlog
 * drains at the pace of broker round trips. Measured in the benchmark; this checks the setting.
 */
const BATCH = 500;

/** Counts publishes sent and not yet answered, and the most at once. */
function outstanding() {
  let now = 0;
  let most = 0;
  return {
    sent: () => void (most = Math.max(most, ++now)),
    answered: () => void now--,
    get most() {
      return most;
    },
  };
}

describe('broker transports at their defaults', () => {
  it('RabbitMQ: a batch of 500 is all in flight before the first confirm', async () => {
    const connection = await amqp.connect(AMQP_URL);
    const queue = uniqueName('tx_rmq_defaults');
    try {
      const ch = await connection.createConfirmChannel();
      await ch.assertQueue(queue, { durable: false, autoDelete: true });
      const count = outstanding();
      const spied: ConfirmChannelLike = {
        publish: (exchange, routingKey, content, options, callback) => {
          count.sent();
          return ch.publish(exchange, routingKey, content, options, (error: unknown) => {
            count.answered();
            callback(error);
          });
        },
        on: (event, listener) => void ch.on(event, listener),
      };
      const producer = createRabbitMqProducer({ channel: spied, exchange: '', routingKey: () => queue });
      const batch = Array.from({ length: BATCH }, () => message('t'));
      const result = await producer.produce(batch, context());
      assert.deepEqual(result, { ok: batch.map((m) => m.id), failed: [] }, 'every message confirmed');
      assert.equal(count.most, BATCH);
      await ch.deleteQueue(queue);
    } finally {
      await connection.close();
    }
  });

  it('NATS JetStream: a batch of 500 is all in flight before the first PubAck', async () => {
    const nc = await connect({ servers: NATS_URL.replace(/^nats:\/\//, '') });
    const jsm = await jetstreamManager(nc);
    const stream = uniqueName('tx_nats_defaults');
    await jsm.streams.add({ name: stream, subjects: [`${stream}.>`] });
    try {
      const js = jetstream(nc);
      const count = outstanding();
      const spied: JetStreamPublisherLike = {
        publish: async (subject, payload, options) => {
          count.sent();
          try {
            return await (js as unknown as JetStreamPublisherLike).publish(subject, payload, options);
          } finally {
            count.answered();
          }
        },
      };
      const producer = createNatsProducer({ js: spied, headers, subject: () => `${stream}.t` });
      const batch = Array.from({ length: BATCH }, () => message('t'));
      const result = await producer.produce(batch, context());
      assert.deepEqual(result, { ok: batch.map((m) => m.id), failed: [] }, 'every message acknowledged');
      assert.equal(count.most, BATCH);
    } finally {
      await jsm.streams.delete(stream).catch(() => false);
      await nc.close();
    }
  });
});
