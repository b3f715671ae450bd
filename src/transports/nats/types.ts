/**
 * The few NATS client calls the JetStream transport makes, as structural types: txbox imports no
 * driver. `jetstream(nc)` from `@nats-io/jetstream` and `headers` from `@nats-io/transport-node`
 * (or `@nats-io/nats-core`) fit.
 */
export interface NatsHeadersLike {
  set(key: string, value: string): void;
}

export interface PubAckLike {
  readonly stream: string;
  readonly seq: number;
  readonly duplicate: boolean;
}

export interface JetStreamPublisherLike {
  publish(subject: string, payload?: Uint8Array, options?: { msgID?: string; headers?: NatsHeadersLike; timeout?: number }): Promise<PubAckLike>;
}

export interface ReadHeadersLike {
  keys(): string[];
  get(key: string): string;
}

/** A message from a JetStream consumer (`JsMsg`). */
export interface JsMsgLike {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly headers?: ReadHeadersLike;
  ack(): void;
  nak(millis?: number): void;
  term(reason?: string): void;
}

export interface ConsumerMessagesLike extends AsyncIterable<JsMsgLike> {
  close(): Promise<void | Error>;
}

/** A pull consumer: `await js.consumers.get(stream, durableName)`. */
export interface JetStreamConsumerLike {
  consume(options?: { max_messages?: number }): Promise<ConsumerMessagesLike>;
}

/** A NATS connection (`nc`), watched for disconnects so publishes fail at once while it is down. */
export interface NatsStatusLike {
  status(): AsyncIterable<{ type: string }>;
  isClosed(): boolean;
}
