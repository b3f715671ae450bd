import { resolveBackoff, type Backoff, type BackoffOptions } from '../core/backoff.js';
import { rejectUnknownOptions } from '../core/option-keys.js';
import { invalidOption } from '../core/errors.js';
import type { SendResult } from '../core/outbox.js';
import type { MessageInput, OutboxMessage } from '../core/message.js';
import type { PublishInput } from './publish.js';
import { CLAIM_MARGIN_MS } from './windows.js';

export interface ConsumeContext<Tx, P> {
  /** The decoded JSON payload. */
  readonly payload: P;
  readonly message: OutboxMessage;
  /** The ordering key the message was published with (without the consumer's namespace). */
  readonly key: string | null;
  /** The transaction the handler runs in: its effects, its inbox row and what it sends commit together. */
  readonly tx: Tx;
  /** 1 on the first try. */
  readonly attempt: number;
  /** Aborts when the consumer's timeout passes. */
  readonly signal: AbortSignal;
  /** Publishes to other consumers in the handler's transaction (orders → billing → email). */
  publish(input: PublishInput | readonly PublishInput[]): Promise<void>;
  /** Sends raw outbox messages in the handler's transaction (for a relay to a broker). */
  send(messages: MessageInput | readonly MessageInput[]): Promise<SendResult>;
}

export interface ConsumerDefinition<Tx = unknown, P = unknown> {
  /** Unique, stable name: it is stored with each message and keys the inbox. */
  name: string;
  topics: readonly string[];
  /**
   * A property, not a method, so its parameter is checked strictly: a handler written for one
   * stack's transaction (a Kysely `Transaction`, a TypeORM manager) cannot be given another's.
   */
  handle: (ctx: ConsumeContext<Tx, P>) => Promise<void> | void;
  /** Handlers of this consumer running at once in this process. Default 1. */
  concurrency?: number;
  /** A handler running longer is abandoned and its message retried. Default 10 s; at most the store's claimTimeoutMs - 1 s. */
  timeoutMs?: number;
  /** Tries before the message is poisoned (kept as a dead letter). Default 5. */
  maxAttempts?: number;
  /** `fixed` waits `initialMs` every time; `exponential` (default) grows with jitter. */
  backoff?: BackoffOptions & { type?: 'fixed' | 'exponential' };
}

export interface ResolvedConsumer {
  name: string;
  topics: readonly string[];
  handle(ctx: ConsumeContext<unknown, unknown>): Promise<void> | void;
  concurrency: number;
  timeoutMs: number;
  maxAttempts: number;
  backoff: Backoff;
}

const NAME = /^[A-Za-z0-9_.:-]{1,100}$/;

/** Identity helper that keeps a consumer's payload type. */
export function defineConsumer<Tx, P>(definition: ConsumerDefinition<Tx, P>): ConsumerDefinition<Tx, P> {
  return definition;
}

export function resolveConsumer(d: ConsumerDefinition<never, never>, at: string, claimTimeoutMs: number): ResolvedConsumer {
  if (!d || typeof d !== 'object') throw invalidOption(at, d, 'must be a consumer definition');
  rejectUnknownOptions<ConsumerDefinition>(d, { name: true, topics: true, handle: true, concurrency: true, timeoutMs: true, maxAttempts: true, backoff: true }, at);
  if (typeof d.name !== 'string' || !NAME.test(d.name)) throw invalidOption(`${at}.name`, d.name, 'must be 1-100 letters, digits or _ . : -');
  if (!Array.isArray(d.topics) || d.topics.length === 0 || d.topics.some((t) => typeof t !== 'string' || t.length === 0)) {
    throw invalidOption(`${at}.topics`, d.topics, 'must be a non-empty array of topic names');
  }
  if (typeof d.handle !== 'function') throw invalidOption(`${at}.handle`, d.handle, 'must be a function');
  const concurrency = d.concurrency ?? 1;
  if (!(Number.isInteger(concurrency) && concurrency >= 1)) throw invalidOption(`${at}.concurrency`, concurrency, 'must be an integer >= 1');
  const timeoutMs = d.timeoutMs ?? 10_000;
  if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) throw invalidOption(`${at}.timeoutMs`, timeoutMs, 'must be a positive number of milliseconds');
  if (timeoutMs > claimTimeoutMs - CLAIM_MARGIN_MS) {
    throw invalidOption(
      `${at}.timeoutMs`,
      timeoutMs,
      `must leave ${CLAIM_MARGIN_MS} ms of the store's claimTimeoutMs (${claimTimeoutMs}) for claiming, committing and acknowledging: at most ${claimTimeoutMs - CLAIM_MARGIN_MS}, or raise claimTimeoutMs to at least ${timeoutMs + CLAIM_MARGIN_MS}`,
    );
  }
  const maxAttempts = d.maxAttempts ?? 5;
  if (!(maxAttempts === Infinity || (Number.isInteger(maxAttempts) && maxAttempts >= 1))) {
    throw invalidOption(`${at}.maxAttempts`, maxAttempts, 'must be an integer >= 1 or Infinity');
  }
  const { type = 'exponential', ...shape } = d.backoff ?? {};
  if (type !== 'fixed' && type !== 'exponential') throw invalidOption(`${at}.backoff.type`, type, "must be 'fixed' or 'exponential'");
  const defaults = type === 'fixed' ? { initialMs: 1000, maxMs: 1000, multiplier: 1, jitter: 0 } : { initialMs: 1000, maxMs: 300_000, multiplier: 2, jitter: 0.5 };
  const backoff = resolveBackoff(`${at}.backoff`, type === 'fixed' ? { ...shape, maxMs: shape.initialMs ?? 1000, multiplier: 1 } : shape, defaults);
  return { name: d.name, topics: d.topics, handle: d.handle as ResolvedConsumer['handle'], concurrency, timeoutMs, maxAttempts, backoff };
}
