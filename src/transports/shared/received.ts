import type { ProcessHook } from '../../core/process-hook.js';
/** What a consumer helper hands to the application's handler, whatever the broker. */
export interface ReceivedMessage {
  /** The outbox message id (UUID): the key an inbox deduplicates on. */
  readonly id: string;
  readonly topic: string;
  readonly key: string | null;
  /** The message's own headers (trace context included), without the transport's bookkeeping headers. */
  readonly headers: Readonly<Record<string, string>>;
  readonly payload: Buffer;
  readonly contentType: string | null;
}

/**
 * Resolving acknowledges the message; throwing (or rejecting) leaves it with the broker for
 * redelivery. Handlers must therefore be idempotent (or use the inbox).
 */
export type MessageHandler = (message: ReceivedMessage) => Promise<void> | void;

/** Called when a handler fails or a message cannot be read; the helper keeps consuming. */
export type ConsumeErrorListener = (error: unknown, message: ReceivedMessage | undefined) => void;

export interface Subscription {
  /** Stops receiving, waits for the handler in progress, and resolves. Idempotent. */
  stop(): Promise<void>;
}

/** Bookkeeping headers the transports add next to the message's own headers. */
export const HEADER = {
  id: 'txbox-id',
  topic: 'txbox-topic',
  key: 'txbox-key',
} as const;

/** The message's own headers: everything but the names given. */
export function ownHeaders(entries: Iterable<[string, unknown]>, reserved: ReadonlySet<string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of entries) {
    if (reserved.has(name.toLowerCase())) continue;
    out[name] = Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
  }
  return out;
}

/** A view of the payload bytes, without copying. */
export function payloadBuffer(payload: Uint8Array): Buffer {
  return Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
}

export function safeCall(listener: ConsumeErrorListener | undefined, error: unknown, message?: ReceivedMessage): void {
  try {
    listener?.(error, message);
  } catch {
    // A faulty error listener must not stop consumption.
  }
}

export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/** The handler, run through the consumer's `instrument` hook (a process span...) when it has one. */
export function instrumented(handler: MessageHandler, hook: ProcessHook | undefined, system: string, subscription?: string): MessageHandler {
  if (!hook) return handler;
  return (message) => hook({ system, ...(subscription === undefined ? {} : { subscription }), message }, async () => {
    await handler(message);
  });
}
