/**
 * The few ioredis calls the Redis Streams transport makes, as structural types: txbox imports no
 * driver. An ioredis `Redis` instance fits.
 */
export type RedisArg = string | number | Buffer;

export interface RedisPipelineLike {
  /** One `[error, result]` pair per command, in order. */
  exec(): Promise<[Error | null, unknown][] | null>;
}

export interface RedisProducerClientLike {
  pipeline(commands: RedisArg[][]): RedisPipelineLike;
  /** ioredis' connection state; anything but 'ready' means commands would only queue. */
  readonly status?: string;
}

/** For the consumer: use a connection of its own, as XREADGROUP BLOCK holds it while waiting. */
export interface RedisConsumerClientLike {
  call(command: string, ...args: RedisArg[]): Promise<unknown>;
  callBuffer(command: string, ...args: RedisArg[]): Promise<unknown>;
}
