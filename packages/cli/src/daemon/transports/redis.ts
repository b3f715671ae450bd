import { createRedisProducer, type RedisProducerClientLike } from 'txbox/redis';
import { loadDriver } from '../../drivers.js';
import type { TransportOf } from '../transport-schema.js';
import { build, type OpenedTransport } from './opened.js';

interface RedisClient extends RedisProducerClientLike {
  on(event: 'error', listener: (error: Error) => void): unknown;
  quit(): Promise<unknown>;
  disconnect(): void;
}

type RedisClass = new (url: string, options: object) => RedisClient;

/** Redis Streams through `ioredis`, loaded from the project. */
export async function openRedis(t: TransportOf<'redis'>, field: string): Promise<OpenedTransport> {
  const Redis = await loadDriver<RedisClass>('ioredis', `${field} (redis)`);
  const { url, streamPrefix, maxLen, publishTimeoutMs } = t;
  // No offline queue: while the server is away a publish fails at once (the producer reports the
  // outage) instead of waiting in the client. ioredis reconnects by itself, with its backoff.
  const redis = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: publishTimeoutMs ?? 5000 });
  // Its errors reach the relay through the publishes that fail; unheard, ioredis would print each one.
  redis.on('error', () => {});
  try {
    const producer = build(field, () =>
      createRedisProducer({ redis, stream: (m) => `${streamPrefix}${m.topic}`, ...(maxLen !== undefined ? { maxLen } : {}), ...(publishTimeoutMs !== undefined ? { publishTimeoutMs } : {}) }),
    );
    return { producer, system: 'redis', close: async () => void (await redis.quit().catch(() => redis.disconnect())) };
  } catch (error) {
    redis.disconnect();
    throw error;
  }
}
