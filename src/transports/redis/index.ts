export { createRedisProducer, type RedisProducer, type RedisProducerOptions } from './producer.js';
export { consumeRedisStream, type RedisStreamConsumerOptions } from './consumer.js';
export { FIELD as STREAM_FIELDS } from './fields.js';
export type { RedisProducerClientLike, RedisConsumerClientLike, RedisPipelineLike, RedisArg } from './types.js';
export type { ReceivedMessage, MessageHandler, Subscription, ConsumeErrorListener } from '../shared/received.js';
