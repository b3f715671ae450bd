import { TxboxError } from './errors.js';
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

/** A producer's answer once checked: `ok` read once into an array, whatever iterable it was. */
export interface CheckedProduceResult {
  readonly ok: readonly string[];
  readonly failed: readonly ProduceFailure[];
}

/**
 * Checks what a producer resolved to. Nothing means all published; anything else must be
 * `{ ok: Iterable<string>, failed?: { id: string }[] }`. Plain JavaScript producers return other
 * things by mistake (the array of `Promise.all`, `true`, `{ failed }`): that is a produce failure
 * with this error, never a half-read answer.
 */
export function checkProduceResult(answer: unknown): CheckedProduceResult | undefined {
  if (answer === undefined) return undefined;
  if (answer === null || typeof answer !== 'object' || Array.isArray(answer)) {
    throw invalidAnswer('result', answer, 'must be undefined (all published) or { ok, failed? }');
  }
  const { ok, failed } = answer as { ok?: unknown; failed?: unknown };
  if (ok === null || typeof ok !== 'object' || typeof (ok as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw invalidAnswer('result.ok', ok, 'must be an array (or iterable) of message ids');
  }
  const ids = [...(ok as Iterable<unknown>)];
  const badId = ids.findIndex((id) => typeof id !== 'string');
  if (badId >= 0) throw invalidAnswer(`result.ok[${badId}]`, ids[badId], 'must be a message id (string)');
  if (failed !== undefined && !Array.isArray(failed)) throw invalidAnswer('result.failed', failed, 'must be an array of { id, error } when given');
  const list = (failed ?? []) as unknown[];
  const badFailure = list.findIndex((f) => f === null || typeof f !== 'object' || typeof (f as { id?: unknown }).id !== 'string');
  if (badFailure >= 0) throw invalidAnswer(`result.failed[${badFailure}]`, list[badFailure], 'must be { id: string, error }');
  return { ok: ids as string[], failed: list as ProduceFailure[] };
}

function invalidAnswer(field: string, value: unknown, expectation: string): TxboxError {
  return new TxboxError('INVALID_PRODUCE_RESULT', `producer answer: ${field} ${expectation}, got ${describeAnswer(value)}`, { field, value });
}

function describeAnswer(value: unknown): string {
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value);
  if (value === null || typeof value !== 'object') return String(value);
  return 'an object';
}
