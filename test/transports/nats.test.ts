import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AckPolicy, jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { consumeJetStream, createNatsProducer } from '../../src/transports/nats/index.js';
import { NATS_URL, uniqueName } from './env.js';
import { transportContract } from './contract.js';
import { endToEnd } from './end-to-end.js';
import { context, message, type Arrived, type TransportHarness } from './harness.js';
import { ownNats } from './support/processes.js';
import { freezableProxy } from './support/silent-peer.js';

const hostPort = (url: string) => url.replace(/^nats:\/\//, '');

/** A stream capturing one subject; `received` reads it back by sequence with the NATS client. */
async function declare(nc: NatsConnection) {
  const jsm = await jetstreamManager(nc);
  const name = uniqueName('tx_nats');
  const topic = `${name}.ok`;
  await jsm.streams.add({ name, subjects: [topic] });
  const arrived: Arrived[] = [];
  let nextSeq = 1;
  const readNew = async () => {
    const last = (await jsm.streams.info(name)).state.last_seq;
    for (; nextSeq <= last; nextSeq++) {
      const stored = await jsm.streams.getMessage(name, { seq: nextSeq });
      if (stored) arrived.push(decode(stored));
    }
  };
  return {
    name,
    topic,
    jsm,
    async received(count: number, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      do {
        await readNew().catch(() => {});
        if (arrived.length >= count) break;
        await new Promise((r) => setTimeout(r, 50));
      } while (Date.now() < deadline);
      return [...arrived];
    },
    remove: () => jsm.streams.delete(name).catch(() => false),
  };
}

function decode(m: { subject: string; data: Uint8Array; header: { keys(): string[]; get(k: string): string } }): Arrived {
  const own: Record<string, string> = {};
  const bookkeeping = ['Nats-Msg-Id', 'txbox-topic', 'txbox-key', 'Content-Type'];
  for (const k of m.header.keys()) if (!bookkeeping.includes(k)) own[k] = m.header.get(k);
  const has = (k: string) => m.header.keys().includes(k);
  return {
    id: m.header.get('Nats-Msg-Id'),
    topic: m.header.get('txbox-topic'),
    key: has('txbox-key') ? m.header.get('txbox-key') : null,
    headers: own,
    payload: Buffer.from(m.data),
    contentType: m.header.get('Content-Type'),
  };
}

function natsHarness(): TransportHarness {
  return {
    name: 'NATS JetStream',
    features: { failure: 'retryable', restartSignal: 'SIGKILL' },
    async open(options = {}) {
      const nc = await connect({ servers: hostPort(NATS_URL) });
      const s = await declare(nc);
      return {
        producer: createNatsProducer({ js: jetstream(nc), headers, ...options }),
        topic: s.topic,
        failingTopic: `${s.name}_nostream.x`,
        received: s.received,
        async close() {
          await s.remove();
          await nc.close();
        },
      };
    },
    async silent({ publishTimeoutMs }) {
      const proxy = await freezableProxy(Number(new URL(NATS_URL).port || 4222));
      const nc = await connect({ servers: `127.0.0.1:${proxy.port}`, reconnect: false });
      proxy.freeze();
      return {
        producer: createNatsProducer({ js: jetstream(nc), headers, publishTimeoutMs }),
        async close() {
          await proxy.close();
          await nc.close().catch(() => {});
        },
      };
    },
    async own(options = {}) {
      const broker = await ownNats();
      await broker.start();
      // The client reconnects by itself; -1: never give up while the server restarts.
      const nc = await connect({ servers: `127.0.0.1:${broker.port}`, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
      const s = await declare(nc);
      return {
        broker,
        producer: createNatsProducer({ js: jetstream(nc), headers, connection: nc, ...options }),
        topic: s.topic,
        failingTopic: `${s.name}_nostream.x`,
        received: s.received,
        async close() {
          await nc.close().catch(() => {});
          await broker.dispose();
        },
      };
    },
    async close() {},
  };
}

transportContract(natsHarness());

endToEnd({
  name: 'NATS JetStream',
  async setup() {
    const nc = await connect({ servers: hostPort(NATS_URL) });
    const s = await declare(nc);
    const durable = 'billing';
    await s.jsm.consumers.add(s.name, { durable_name: durable, ack_policy: AckPolicy.Explicit });
    const js = jetstream(nc);
    return {
      producer: createNatsProducer({ js, headers }),
      topic: s.topic,
      consume: async (handler) => consumeJetStream({ consumer: await js.consumers.get(s.name, durable), handler, retryDelayMs: 50 }),
      async close() {
        await s.remove();
        await nc.close();
      },
    };
  },
});

describe('NATS producer specifics', { timeout: 30_000 }, () => {
  it('rejects bad options with the option named, before any I/O', () => {
    const js = { publish: async () => ({ stream: 's', seq: 1, duplicate: false }) };
    assert.throws(() => createNatsProducer({ js: {} as typeof js, headers }), { code: 'INVALID_OPTION', field: 'js' });
    assert.throws(() => createNatsProducer({ js, headers: undefined as unknown as typeof headers }), { code: 'INVALID_OPTION', field: 'headers' });
    assert.throws(() => createNatsProducer({ js, headers, subject: 'x' as unknown as () => string }), { code: 'INVALID_OPTION', field: 'subject' });
  });

  it('counts a duplicate PubAck as published: the stream already holds the message', async () => {
    const nc = await connect({ servers: hostPort(NATS_URL) });
    const s = await declare(nc);
    try {
      const producer = createNatsProducer({ js: jetstream(nc), headers });
      const m = message(s.topic);
      assert.deepEqual([...(await producer.produce([m], context())).ok], [m.id]);
      assert.deepEqual([...(await producer.produce([m], context())).ok], [m.id], 'republished after a lost ack');
      assert.equal((await s.received(2, 300)).length, 1, 'stored once');
    } finally {
      await s.remove();
      await nc.close();
    }
  });

  it('dead-letters a message whose subject is invalid, and names the mapping', async () => {
    const nc = await connect({ servers: hostPort(NATS_URL) });
    try {
      const producer = createNatsProducer({ js: jetstream(nc), headers, subject: () => 'has space' });
      const result = await producer.produce([message('t')], context());
      assert.equal(result.failed?.[0]?.permanent, true);
    } finally {
      await nc.close();
    }
  });
});
