import type { OutboxMessage } from './message.js';
import type { OutboxKey } from './store.js';

export interface ProduceContext {
  /** Which outbox the batch comes from (useful when one producer serves several outboxes). */
  readonly key: OutboxKey;
  /** Aborts when the produce deadline (`produceTimeoutMs`) passes. */
  readonly signal: AbortSignal;
}

export interface ProduceFailure {
  readonly id: string;
  readonly error: unknown;
  /** Never retry: dead-letter now. A `PermanentFailure` error means the same. */
  readonly permanent?: boolean;
  /** Retry after this delay instead of the relay's own backoff (a producer with its own retry policy). */
  readonly retryInMs?: number;
  /**
   * Nothing was sent: the destination is unreachable (broker down, not connected). The message is
   * released without counting an attempt — an outage never turns messages into dead letters — its
   * key stays blocked, and the relay backs off before claiming again.
   */
  readonly unavailable?: boolean;
}

/**
 * Partial success, as OutboxKit's `BatchProduceResult.Ok`: `ok` lists the ids that were
 * published. Ids in `failed` count an attempt and are retried with backoff. Ids in neither were
 * not attempted: after a failure of the same key they are simply released (a producer must not
 * publish a key's later message after an earlier one failed); otherwise they count as failed.
 */
export interface ProduceResult {
  readonly ok: Iterable<string>;
  readonly failed?: readonly ProduceFailure[];
}

/** Returning nothing means every message was published; throwing means none was. */
export type ProduceFn = (
  messages: readonly OutboxMessage[],
  context: ProduceContext,
) => Promise<ProduceResult | void> | ProduceResult | void;

export type Producer = ProduceFn | { produce: ProduceFn };

export function toProduceFn(producer: Producer): ProduceFn {
  return typeof producer === 'function' ? producer : producer.produce.bind(producer);
}
