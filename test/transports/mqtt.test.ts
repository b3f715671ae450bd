import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { consumeMqtt, createMqttProducer, topicMatches } from '../../src/transports/mqtt/index.js';
import { MQTT_URL, eventually, sleep, uniqueName } from './env.js';
import { transportContract } from './contract.js';
import { endToEnd } from './end-to-end.js';
import { context, message, type Arrived, type TransportHarness } from './harness.js';
import { freePort, ownMosquitto, type OwnBroker } from './support/processes.js';
import { freezableProxy } from './support/silent-peer.js';

const V5: IClientOptions = { protocolVersion: 5, reconnectPeriod: 100, connectTimeout: 2000 };

async function connect(url: string, options: IClientOptions = {}): Promise<MqttClient> {
  const client = await mqtt.connectAsync(url, { ...V5, ...options });
  client.on('error', () => {});
  return client;
}

/** A plain MQTT subscriber (QoS 1) collecting what arrives, read from the packets' properties. */
async function subscriber(url: string, topic: string, options: IClientOptions = {}) {
  const arrived: Arrived[] = [];
  const client = await connect(url, options);
  client.on('message', (_topic, payload, packet) => {
    const { 'txbox-id': id, 'txbox-topic': t, 'txbox-key': key, ...headers } = (packet.properties?.userProperties ?? {}) as Record<string, string>;
    arrived.push({ id: id!, topic: t!, key: key ?? null, headers: { ...headers }, payload, contentType: packet.properties?.contentType ?? null });
  });
  await client.subscribeAsync(topic, { qos: 1 });
  return {
    client,
    async received(count: number, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (arrived.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      return [...arrived];
    },
  };
}

const ACL = 'topic readwrite #\ntopic deny refused/#\n';

function mqttHarness(): TransportHarness {
  // The refusal test needs an ACL, which the shared broker does not have: one broker of the
  // suite's own serves those destinations.
  let refusing: OwnBroker | undefined;
  const refusingUrl = async () => {
    if (!refusing) {
      refusing = await ownMosquitto(ACL);
      await refusing.start();
    }
    return `mqtt://127.0.0.1:${refusing.port}`;
  };
  return {
    name: 'MQTT',
    features: { failure: 'permanent', restartSignal: 'SIGTERM' },
    async open(options = {}) {
      const url = await refusingUrl();
      const topic = `${uniqueName('tx_mqtt')}/ok`;
      const sub = await subscriber(url, topic);
      const publisher = await connect(url);
      return {
        producer: createMqttProducer({ client: publisher, ...options }),
        topic,
        failingTopic: `refused/${topic}`,
        received: sub.received,
        async close() {
          await publisher.endAsync(true);
          await sub.client.endAsync(true);
        },
      };
    },
    async silent({ publishTimeoutMs }) {
      const proxy = await freezableProxy(Number(new URL(MQTT_URL).port || 1883));
      const client = await connect(`mqtt://127.0.0.1:${proxy.port}`, { reconnectPeriod: 0 });
      proxy.freeze();
      return {
        producer: createMqttProducer({ client, publishTimeoutMs }),
        async close() {
          await proxy.close();
          await client.endAsync(true);
        },
      };
    },
    async own(options = {}) {
      const broker = await ownMosquitto();
      await broker.start();
      const url = `mqtt://127.0.0.1:${broker.port}`;
      const topic = `${uniqueName('tx_mqtt')}/ok`;
      // A persistent session: what arrives while the subscriber is cut off waits for it.
      const sub = await subscriber(url, topic, { clientId: uniqueName('sub'), clean: false, properties: { sessionExpiryInterval: 300 } });
      const publisher = await connect(url);
      return {
        broker,
        producer: createMqttProducer({ client: publisher, ...options }),
        topic,
        failingTopic: `refused/${topic}`,
        received: sub.received,
        async close() {
          await publisher.endAsync(true);
          await sub.client.endAsync(true);
          await broker.dispose();
        },
      };
    },
    async close() {
      await refusing?.dispose();
    },
  };
}

transportContract(mqttHarness());

endToEnd({
  name: 'MQTT',
  async setup() {
    const topic = `${uniqueName('tx_mqtt')}/orders`;
    const publisher = await connect(MQTT_URL);
    // Redelivery of an unacknowledged message happens when a persistent session resumes: the
    // helper resumes it after a failed handler. Connected by consumeMqtt once its handler is in
    // place (manualConnect), as a resumed session must be.
    const consumer = mqtt.connect(MQTT_URL, { ...V5, clientId: uniqueName('e2e'), clean: false, properties: { sessionExpiryInterval: 30 }, manualConnect: true });
    consumer.on('error', () => {});
    return {
      producer: createMqttProducer({ client: publisher }),
      topic,
      consume: (handler) => consumeMqtt({ client: consumer, topic, handler, redeliveryDelayMs: 100 }),
      async close() {
        await publisher.endAsync(true);
        await consumer.endAsync(true);
      },
    };
  },
});

describe('MQTT specifics', { timeout: 30_000 }, () => {
  it('rejects bad options with the option named, before any I/O', () => {
    const client = { connected: true, options: {}, publishAsync: async () => undefined };
    assert.throws(() => createMqttProducer({ client: {} as typeof client }), { code: 'INVALID_OPTION', field: 'client' });
    assert.throws(() => createMqttProducer({ client, qos: 0 as 1 }), { code: 'INVALID_OPTION', field: 'qos' });
    assert.throws(() => createMqttProducer({ client, topic: 'x' as unknown as () => string }), { code: 'INVALID_OPTION', field: 'topic' });
  });

  it('fails at once, without queueing, while the client is reconnecting', async () => {
    // Nothing listens there: mqtt.js keeps reconnecting and would queue a publish until then.
    const client = mqtt.connect(`mqtt://127.0.0.1:${await freePort()}`, { ...V5, reconnectPeriod: 50 });
    client.on('error', () => {});
    try {
      const started = Date.now();
      const producer = createMqttProducer({ client, publishTimeoutMs: 5000 });
      const result = await producer.produce([message('t/x', { key: 'k' }), message('t/x', { key: 'k' })], context());
      assert.ok(Date.now() - started < 500, `failed in ${Date.now() - started} ms`);
      assert.equal(result.failed?.length, 1, 'the key stops at its first failure');
    } finally {
      await client.endAsync(true);
    }
  });

  it('dead-letters a message whose topic is not a valid topic name', async () => {
    const client = { connected: true, options: { protocolVersion: 5 }, publishAsync: async () => undefined };
    const result = await createMqttProducer({ client, topic: () => 'a/+/b' }).produce([message('t')], context());
    assert.equal(result.failed?.[0]?.permanent, true);
  });

  it('matches topic filters as MQTT does', () => {
    assert.ok(topicMatches('a/+/c', 'a/b/c'));
    assert.ok(topicMatches('a/#', 'a'));
    assert.ok(topicMatches('a/#', 'a/b/c'));
    assert.ok(!topicMatches('a/+', 'a/b/c'));
    assert.ok(!topicMatches('+/x', '$SYS/x'));
    assert.ok(!topicMatches('a/b', 'a/b/c'));
  });
});

describe('MQTT consumer helper', { timeout: 30_000 }, () => {
  it('resumes its persistent session by itself after a failed handler, so the message comes back and is then acknowledged', async () => {
    const topic = `${uniqueName('tx_mqtt')}/redelivery`;
    const publisher = await connect(MQTT_URL);
    const consumer = mqtt.connect(MQTT_URL, { ...V5, clientId: uniqueName('redeliver'), clean: false, properties: { sessionExpiryInterval: 30 }, manualConnect: true });
    consumer.on('error', () => {});
    const attempts = new Map<string, number>();
    const errors: unknown[] = [];
    const options = { client: consumer, topic, redeliveryDelayMs: 100, onError: (e: unknown) => errors.push(e) };
    const sub = await consumeMqtt({
      ...options,
      handler: (m) => {
        const n = (attempts.get(m.id) ?? 0) + 1;
        attempts.set(m.id, n);
        if (n === 1) throw new Error('handler failed once');
      },
    });
    try {
      const [failing, other] = [message(topic), message(topic)];
      assert.deepEqual([...(await createMqttProducer({ client: publisher }).produce([failing!, other!], context())).ok].length, 2);
      // No reconnect written here: the helper must bring the message back on its own.
      await eventually(() => (attempts.get(failing!.id) ?? 0) >= 2, 10_000, 'the redelivery of the failed message');
      await eventually(() => (attempts.get(other!.id) ?? 0) >= 2, 10_000, 'the redelivery of the other one');
      await sleep(500);
      assert.deepEqual([attempts.get(failing!.id), attempts.get(other!.id)], [2, 2], 'acknowledged after the successful attempt: not delivered again');
      assert.equal(errors.length, 2, 'each failure reported once');
      assert.ok(consumer.connected, 'connected again');
    } finally {
      await sub.stop();
      await publisher.endAsync(true);
      await consumer.endAsync(true);
    }
  });

  it('connects a manual-connect client once, also when the application already called connect()', async () => {
    const proxy = await freezableProxy(Number(new URL(MQTT_URL).port || 1883));
    const topic = `${uniqueName('tx_mqtt')}/connect-once`;
    const publisher = await connect(MQTT_URL);
    const consumer = mqtt.connect(`mqtt://127.0.0.1:${proxy.port}`, { ...V5, reconnectPeriod: 0, clientId: uniqueName('once'), clean: false, properties: { sessionExpiryInterval: 30 }, manualConnect: true });
    consumer.on('error', () => {});
    const received: string[] = [];
    try {
      // The application connects it itself, then hands it over: the helper must not open a second connection.
      consumer.connect();
      const sub = await consumeMqtt({ client: consumer, topic, handler: (m) => void received.push(m.id) });
      const m = message(topic);
      await createMqttProducer({ client: publisher }).produce([m], context());
      await eventually(() => received.length === 1, 5000, 'the message');
      assert.equal(proxy.accepted, 1, 'one connection: a second one with the same client id would take the session over');
      assert.ok(consumer.connected);
      await sub.stop();
    } finally {
      await publisher.endAsync(true);
      await consumer.endAsync(true);
      await proxy.close();
    }
  });

  it('stops at once while a resume is planned, and does not reconnect after stop', async () => {
    const topic = `${uniqueName('tx_mqtt')}/stop`;
    const publisher = await connect(MQTT_URL);
    const consumer = mqtt.connect(MQTT_URL, { ...V5, clientId: uniqueName('stop'), clean: false, properties: { sessionExpiryInterval: 30 }, manualConnect: true });
    consumer.on('error', () => {});
    let reconnects = 0;
    consumer.on('reconnect', () => reconnects++);
    let calls = 0;
    const sub = await consumeMqtt({ client: consumer, topic, redeliveryDelayMs: 600, handler: () => void (calls++, assert.fail('fails')) });
    try {
      await createMqttProducer({ client: publisher }).produce([message(topic)], context());
      await eventually(() => calls === 1, 5000, 'the failing attempt');
      const started = Date.now();
      await sub.stop();
      assert.ok(Date.now() - started < 500, `stop took ${Date.now() - started} ms`);
      await sleep(900);
      assert.equal(reconnects, 0, 'the planned resume was cancelled');
    } finally {
      await sub.stop();
      await publisher.endAsync(true);
      await consumer.endAsync(true);
    }
  });
});
