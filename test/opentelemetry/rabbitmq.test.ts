import amqp from 'amqplib';
import { createRabbitMqProducer, consumeRabbitMq } from '../../src/transports/rabbitmq/index.js';
import { AMQP_URL } from '../transports/env.js';
import { uniqueName } from '../support/env.js';
import { otelPipeline } from './pipeline.js';

otelPipeline({
  name: 'RabbitMQ',
  system: 'rabbitmq',
  redelivers: true,
  async setup() {
    const name = uniqueName('tx_otel_rmq');
    const topic = `${name}.ok`;
    const connection = await amqp.connect(AMQP_URL);
    connection.on('error', () => {});
    const admin = await connection.createChannel();
    await admin.assertExchange(name, 'direct', { durable: false, autoDelete: false });
    await admin.assertQueue(name, { durable: false });
    await admin.bindQueue(name, name, topic);
    return {
      producer: createRabbitMqProducer({ channel: await connection.createConfirmChannel(), exchange: name }),
      topic,
      consume: async (handler, instrument) => consumeRabbitMq({ channel: await connection.createChannel(), queue: name, handler, instrument, retryDelayMs: 50 }),
      async close() {
        await admin.deleteQueue(name).catch(() => {});
        await admin.deleteExchange(name).catch(() => {});
        await connection.close().catch(() => {});
      },
    };
  },
});
