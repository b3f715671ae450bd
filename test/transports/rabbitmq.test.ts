import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import amqp, { type ChannelModel, type GetMessage } from 'amqplib';
import { confirmChannelSource, createRabbitMqProducer, type ConfirmChannelLike } from '../../src/transports/rabbitmq/index.js';
import { AMQP_URL, uniqueName } from './env.js';
import { transportContract } from './contract.js';
import { endToEnd } from './end-to-end.js';
import type { Arrived, Destination, TransportHarness } from './harness.js';
import { ownRabbitMq } from './support/processes.js';
import { freezableProxy } from './support/silent-peer.js';
import { consumeRabbitMq } from '../../src/transports/rabbitmq/index.js';
import { context, message } from './harness.js';

async function connect(url: string): Promise<ChannelModel> {
  const connection = await amqp.connect(url);
  connection.on('error', () => {});
  return connection;
}

/** Reads a message the way any AMQP application would: properties and headers. */
function decode(m: GetMessage): Arrived {
  const { 'txbox-key': key, ...headers } = m.properties.headers ?? {};
  return {
    id: m.properties.messageId,
    topic: m.properties.type,
    key: key === undefined ? null : String(key),
    headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, String(v)])),
    payload: m.content,
    contentType: m.properties.contentType ?? null,
  };
}

/** An exchange with one bound queue; `received` drains the queue with basic.get. */
async function declare(url: string, durable: boolean) {
  const name = uniqueName('tx_rmq');
  const topic = `${name}.ok`;
  const admin = await connect(url);
  const ch = await admin.createChannel();
  await ch.assertExchange(name, 'direct', { durable, autoDelete: false });
  await ch.assertQueue(name, { durable });
  await ch.bindQueue(name, name, topic);
  await admin.close();
  const arrived: Arrived[] = [];
  const drain = async () => {
    const c = await connect(url);
    try {
      const reader = await c.createChannel();
      for (let m = await reader.get(name, { noAck: true }); m; m = await reader.get(name, { noAck: true })) arrived.push(decode(m));
    } finally {
      await c.close().catch(() => {});
    }
  };
  return {
    name,
    topic,
    async received(count: number, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      do {
        await drain();
        if (arrived.length >= count) break;
        await new Promise((r) => setTimeout(r, 50));
      } while (Date.now() < deadline);
      return [...arrived];
    },
    async remove() {
      const c = await connect(url).catch(() => undefined);
      if (!c) return;
      const ch2 = await c.createChannel();
      await ch2.deleteQueue(name).catch(() => {});
      await ch2.deleteExchange(name).catch(() => {});
      await c.close().catch(() => {});
    },
  };
}

function rabbitHarness(): TransportHarness {
  return {
    name: 'RabbitMQ',
    features: { failure: 'retryable', restartSignal: 'SIGKILL' },
    async open(options = {}) {
      const q = await declare(AMQP_URL, false);
      const connection = await connect(AMQP_URL);
      const channel = await connection.createConfirmChannel();
      const producer = createRabbitMqProducer({ channel, exchange: q.name, ...options });
      const d: Destination = {
        producer,
        topic: q.topic,
        failingTopic: `${q.name}.unbound`,
        received: q.received,
        async close() {
          await connection.close().catch(() => {});
          await q.remove();
        },
      };
      return d;
    },
    async silent({ publishTimeoutMs }) {
      const proxy = await freezableProxy(Number(new URL(AMQP_URL).port || 5672));
      const url = new URL(AMQP_URL);
      url.port = String(proxy.port);
      const connection = await connect(url.toString());
      const channel = await connection.createConfirmChannel();
      channel.on('error', () => {});
      proxy.freeze();
      return { producer: createRabbitMqProducer({ channel, exchange: 'amq.direct', publishTimeoutMs }), close: () => proxy.close() };
    },
    async own(options = {}) {
      const broker = await ownRabbitMq();
      await broker.start();
      const url = `amqp://guest:guest@127.0.0.1:${broker.port}`;
      const q = await declare(url, true);
      // amqplib does not reconnect: the channel source opens a new connection after the restart.
      const channel = confirmChannelSource(() => connect(url));
      return {
        broker,
        producer: createRabbitMqProducer({ channel, exchange: q.name, ...options }),
        topic: q.topic,
        failingTopic: `${q.name}.unbound`,
        received: q.received,
        async close() {
          await channel.close();
          await broker.dispose();
        },
      };
    },
    async close() {},
  };
}

transportContract(rabbitHarness());

endToEnd({
  name: 'RabbitMQ',
  async setup() {
    const q = await declare(AMQP_URL, false);
    const publisher = await connect(AMQP_URL);
    const consumer = await connect(AMQP_URL);
    const producer = createRabbitMqProducer({ channel: await publisher.createConfirmChannel(), exchange: q.name });
    return {
      producer,
      topic: q.topic,
      consume: async (handler) => consumeRabbitMq({ channel: await consumer.createChannel(), queue: q.name, handler, retryDelayMs: 50 }),
      async close() {
        await publisher.close().catch(() => {});
        await consumer.close().catch(() => {});
        await q.remove();
      },
    };
  },
});

describe('RabbitMQ producer specifics', { timeout: 30_000 }, () => {
  it('rejects bad options with the option named, before any I/O', () => {
    const channel = { publish: () => true, on: () => undefined } as unknown as ConfirmChannelLike;
    assert.throws(() => createRabbitMqProducer({ channel: {} as ConfirmChannelLike, exchange: 'x' }), { code: 'INVALID_OPTION', field: 'channel' });
    assert.throws(() => createRabbitMqProducer({ channel, exchange: 42 as unknown as string }), { code: 'INVALID_OPTION', field: 'exchange' });
    assert.throws(() => createRabbitMqProducer({ channel, exchange: 'x', routingKey: 'k' as unknown as () => string }), { code: 'INVALID_OPTION', field: 'routingKey' });
    assert.throws(() => createRabbitMqProducer({ channel, exchange: 'x', publishTimeoutMs: 0 }), { code: 'INVALID_OPTION', field: 'publishTimeoutMs' });
    assert.throws(() => createRabbitMqProducer({ channel, exchange: 'x', maxInFlight: 1.5 }), { code: 'INVALID_OPTION', field: 'maxInFlight' });
  });

  it('dead-letters a message whose routing key cannot be encoded, without publishing it', async () => {
    const q = await declare(AMQP_URL, false);
    const connection = await connect(AMQP_URL);
    try {
      const producer = createRabbitMqProducer({ channel: await connection.createConfirmChannel(), exchange: q.name });
      const bad = message('é'.repeat(200));
      const good = message(q.topic);
      const result = await producer.produce([bad, good], context());
      assert.deepEqual([...result.ok], [good.id]);
      assert.equal(result.failed?.[0]?.permanent, true);
      assert.deepEqual((await q.received(1)).map((a) => a.id), [good.id], 'later confirms still line up');
    } finally {
      await connection.close();
      await q.remove();
    }
  });

  it('fails fast on a closed channel, and the channel source reconnects', async () => {
    const q = await declare(AMQP_URL, false);
    const source = confirmChannelSource(() => connect(AMQP_URL));
    try {
      const producer = createRabbitMqProducer({ channel: source, exchange: q.name });
      const first = await producer.produce([message(q.topic)], context());
      assert.equal([...first.ok].length, 1);
      // Publishing to a missing exchange makes the broker close the channel.
      const broken = createRabbitMqProducer({ channel: source, exchange: uniqueName('missing') });
      const failed = await broken.produce([message(q.topic)], context());
      assert.equal(failed.failed?.length, 1);
      const again = await producer.produce([message(q.topic)], context());
      assert.equal([...again.ok].length, 1, String(again.failed?.[0]?.error));
      assert.equal((await q.received(2)).length, 2);
    } finally {
      await source.close();
      await q.remove();
    }
  });
});
