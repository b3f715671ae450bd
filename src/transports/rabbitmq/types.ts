/**
 * The few amqplib methods the RabbitMQ transport calls, as structural types: txbox imports no
 * driver. An amqplib `ConfirmChannel` (from `connection.createConfirmChannel()`) fits.
 */
export interface AmqpPublishProperties {
  mandatory: boolean;
  persistent: boolean;
  messageId: string;
  contentType: string;
  type: string;
  timestamp: number;
  /** Absent when the message has no headers and no key. */
  headers?: Record<string, string>;
}

export interface ReturnedMessageLike {
  fields: { replyCode: number; replyText: string; exchange: string; routingKey: string };
  properties: { messageId?: unknown };
}

/** A channel in confirm mode: every publish gets the broker's ack (or nack) through its callback. */
export interface ConfirmChannelLike {
  publish(exchange: string, routingKey: string, content: Buffer, options: AmqpPublishProperties, callback: (error: unknown) => void): boolean;
  on(event: 'return', listener: (message: ReturnedMessageLike) => void): unknown;
}

export interface AmqpMessageLike {
  content: Buffer;
  fields: { routingKey: string; redelivered: boolean };
  properties: { messageId?: unknown; contentType?: unknown; type?: unknown; headers?: Record<string, unknown> };
}

/** What the consumer helper calls: an amqplib `Channel` (or `ConfirmChannel`). */
export interface ConsumeChannelLike {
  prefetch(count: number): Promise<unknown>;
  consume(queue: string, onMessage: (message: AmqpMessageLike | null) => void, options: { noAck: boolean }): Promise<{ consumerTag: string }>;
  cancel(consumerTag: string): Promise<unknown>;
  ack(message: AmqpMessageLike): void;
  nack(message: AmqpMessageLike, allUpTo: boolean, requeue: boolean): void;
}

/** An amqplib connection (`ChannelModel`, from `amqplib.connect(url)`). */
export interface AmqpConnectionLike {
  createConfirmChannel(): Promise<ConfirmChannelLike & ClosableLike>;
  on(event: 'close' | 'error', listener: (...args: unknown[]) => void): unknown;
  close(): Promise<void>;
}

export interface ClosableLike {
  on(event: 'close' | 'error', listener: (...args: unknown[]) => void): unknown;
  close(): Promise<void>;
}
