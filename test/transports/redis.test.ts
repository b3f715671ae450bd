import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Redis, type RedisOptions } from 'ioredis';
import { consumeRedisStream, createRedisProducer } from '../../src/transports/redis/index.js';
import { REDIS_URL, eventually, uniqueName } from './env.js';
import { transportContract } from './contract.js';
import { endToEnd } from './end-to-end.js';
import { context, message, type Arrived, type TransportHarness } from './harness.js';
import { ownRedis } from './support/processes.js';
import { freezableProxy } from './support/silent-peer.js';

function client(url: string, options: RedisOptions = {}): Redis {
  const redis = new Redis(url, { lazyConnect: false, ...options });
  redis.on('error', () => {});
  return redis;
}

/** Reads a stream back with XRANGE, the way any Redis application would. */
function stream(redis: () => Redis, key: string) {
  return async (count: number, timeoutMs = 10_000): Promise<Arrived[]> => {
    const deadline = Date.now() + timeoutMs;
    let arrived: Arrived[] = [];
    do {
      const entries = (await redis().callBuffer('XRANGE', key, '-', '+').catch(() => [])) as [Buffer, Buffer[]][];
      arrived = entries.map(([, raw]) => decode(raw));
      if (arrived.length >= count) break;
      await new Promise((r) => setTimeout(r, 50));
    } while (Date.now() < deadline);
    return arrived;
  };
}

function decode(raw: Buffer[]): Arrived {
  const f = new Map<string, Buffer>();
  for (let i = 0; i < raw.length; i += 2) f.set(raw[i]!.toString(), raw[i + 1]!);
  const text = (k: string) => f.get(k)?.toString();
  return {
    id: text('id')!,
    topic: text('topic')!,
    key: text('key') ?? null,
    headers: f.has('headers') ? JSON.parse(text('headers')!) : {},
    payload: f.get('payload')!,
    contentType: text('content-type') ?? null,
  };
}

async function declare(redis: Redis) {
  const name = uniqueName('tx_redis');
  const topic = `${name}:ok`;
  const failingTopic = `${name}:not-a-stream`;
  // XADD to a key holding a string fails with WRONGTYPE.
  await redis.set(failingTopic, 'x');
  return { topic, failingTopic, remove: () => redis.del(topic, failingTopic).catch(() => 0) };
}

function redisHarness(): TransportHarness {
  return {
    name: 'Redis Streams',
    features: { failure: 'retryable', restartSignal: 'SIGKILL' },
    async open(options = {}) {
      const redis = client(REDIS_URL);
      const s = await declare(redis);
      return {
        producer: createRedisProducer({ redis, ...options }),
        topic: s.topic,
        failingTopic: s.failingTopic,
        received: stream(() => redis, s.topic),
        async close() {
          await s.remove();
          redis.disconnect();
        },
      };
    },
    async silent({ publishTimeoutMs }) {
      const proxy = await freezableProxy(Number(new URL(REDIS_URL).port || 6379));
      const url = new URL(REDIS_URL);
      url.port = String(proxy.port);
      const redis = client(url.toString(), { retryStrategy: () => null });
      await redis.ping();
      proxy.freeze();
      return {
        producer: createRedisProducer({ redis, publishTimeoutMs }),
        async close() {
          redis.disconnect();
          await proxy.close();
        },
      };
    },
    async own(options = {}) {
      const broker = await ownRedis();
      await broker.start();
      const url = `redis://127.0.0.1:${broker.port}`;
      // Reconnect quickly; no offline queue, so commands fail instead of waiting for the server.
      const redis = client(url, { retryStrategy: () => 100, enableOfflineQueue: false });
      await new Promise((resolve) => redis.once('ready', resolve));
      const s = await declare(redis);
      return {
        broker,
        producer: createRedisProducer({ redis, ...options }),
        topic: s.topic,
        failingTopic: s.failingTopic,
        received: stream(() => redis, s.topic),
        async close() {
          redis.disconnect();
          await broker.dispose();
        },
      };
    },
    async close() {},
  };
}

transportContract(redisHarness());

endToEnd({
  name: 'Redis Streams',
  async setup() {
    const redis = client(REDIS_URL);
    const reader = client(REDIS_URL);
    const s = await declare(redis);
    return {
      producer: createRedisProducer({ redis, maxLen: 10_000 }),
      topic: s.topic,
      consume: (handler) => consumeRedisStream({ redis: reader, stream: s.topic, group: 'billing', consumer: 'c1', handler, blockMs: 200, retryDelayMs: 50 }),
      async close() {
        await s.remove();
        redis.disconnect();
        reader.disconnect();
      },
    };
  },
});

describe('Redis producer specifics', { timeout: 30_000 }, () => {
  it('rejects bad options with the option named, before any I/O', () => {
    const redis = { pipeline: () => ({ exec: async () => [] }) };
    assert.throws(() => createRedisProducer({ redis: {} as typeof redis }), { code: 'INVALID_OPTION', field: 'redis' });
    assert.throws(() => createRedisProducer({ redis, stream: '' }), { code: 'INVALID_OPTION', field: 'stream' });
    assert.throws(() => createRedisProducer({ redis, maxLen: 0 }), { code: 'INVALID_OPTION', field: 'maxLen' });
  });

  it('trims a stream to about maxLen entries', async () => {
    const redis = client(REDIS_URL);
    const s = await declare(redis);
    try {
      const producer = createRedisProducer({ redis, maxLen: 10 });
      for (let i = 0; i < 5; i++) await producer.produce(Array.from({ length: 100 }, () => message(s.topic)), context());
      const length = await redis.xlen(s.topic);
      assert.ok(length < 500 && length >= 10, `stream length ${length}`);
    } finally {
      await s.remove();
      redis.disconnect();
    }
  });

  it('sends a batch in one round trip per position within its keys', async () => {
    const redis = client(REDIS_URL);
    const s = await declare(redis);
    let pipelines = 0;
    const counting = { pipeline: (commands: (string | number | Buffer)[][]) => (pipelines++, redis.pipeline(commands)), status: 'ready' };
    try {
      const producer = createRedisProducer({ redis: counting });
      const batch = [...Array.from({ length: 30 }, (_, i) => message(s.topic, { key: `k${i % 10}` })), ...Array.from({ length: 20 }, () => message(s.topic))];
      const result = await producer.produce(batch, context());
      assert.equal([...result.ok].length, 50);
      assert.equal(pipelines, 3, 'three messages per key: three rounds');
    } finally {
      await s.remove();
      redis.disconnect();
    }
  });
});

describe('Redis consumer helper', { timeout: 30_000 }, () => {
  it('dead-letters an entry whose headers are not JSON, handles the good ones read with it, and never sees it again', async () => {
    const redis = client(REDIS_URL);
    const reader = client(REDIS_URL);
    const s = await declare(redis);
    const dead = `${s.topic}:dead`;
    const good = (n: number) => ['id', `good-${n}`, 'topic', s.topic, 'content-type', 'text/plain', 'payload', `p${n}`];
    try {
      // All four are read in one XREADGROUP: the bad one sits between good ones of the same read.
      await redis.xadd(s.topic, '*', ...good(1));
      const badEntry = await redis.xadd(s.topic, '*', 'id', 'bad-1', 'topic', s.topic, 'headers', '{not json', 'payload', 'x');
      await redis.xadd(s.topic, '*', ...good(2));
      await redis.xadd(s.topic, '*', ...good(3));
      const consume = (handled: string[], errors: unknown[]) =>
        consumeRedisStream({ redis: reader, stream: s.topic, group: 'g', consumer: 'c1', blockMs: 100, retryDelayMs: 50, handler: (m) => void handled.push(m.id), onError: (e) => errors.push(e) });

      const handled: string[] = [];
      const errors: unknown[] = [];
      const first = await consume(handled, errors);
      await eventually(() => handled.length >= 3, 5000, 'the good entries to be handled').finally(() => first.stop());
      assert.deepEqual(handled, ['good-1', 'good-2', 'good-3']);
      assert.equal(errors.length, 1, 'the bad entry is reported once');
      assert.equal((errors[0] as { code?: string }).code, 'PERMANENT_FAILURE');
      assert.equal((errors[0] as { field?: string }).field, 'headers');
      assert.match((errors[0] as Error).message, new RegExp(badEntry!));
      const pending = (await redis.call('XPENDING', s.topic, 'g')) as [number, ...unknown[]];
      assert.equal(pending[0], 0, 'nothing is left pending');
      const letters = (await redis.call('XRANGE', dead, '-', '+')) as [string, string[]][];
      assert.equal(letters.length, 1);
      assert.equal(letters[0]![1][letters[0]![1].indexOf('id') + 1], 'bad-1');

      // A restarted consumer (same name: it reads its own pending list first) does not see it again.
      const again: string[] = [];
      const laterErrors: unknown[] = [];
      const second = await consume(again, laterErrors);
      await redis.xadd(s.topic, '*', ...good(4));
      await eventually(() => again.length >= 1, 5000, 'the new entry').finally(() => second.stop());
      assert.deepEqual(again, ['good-4']);
      assert.deepEqual(laterErrors, []);
    } finally {
      await redis.del(dead).catch(() => 0);
      await s.remove();
      redis.disconnect();
      reader.disconnect();
    }
  });
});
