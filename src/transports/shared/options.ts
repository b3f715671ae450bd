import type { OptionKeys } from '../../core/option-keys.js';
import { invalidOption } from '../../core/errors.js';
import type { OutboxMessage } from '../../core/message.js';
import { DEFAULT_BATCH_SIZE } from '../../core/relay-options.js';

/** A destination name given once, or chosen per message. */
export type PerMessage<T> = T | ((message: OutboxMessage) => T);

/** Options every producer shares. */
export interface PublishOptions {
  /**
   * Deadline of one publish (broker confirm, PubAck, PUBACK, HTTP answer). A lost answer fails that
   * message instead of stalling the batch. Keep it well under the relay's `produceTimeoutMs`.
   * Default 5000.
   */
  publishTimeoutMs?: number;
  /**
   * Keys (and unkeyed messages) published in parallel within one batch. Default 500 for RabbitMQ
   * and NATS (`BROKER_MAX_IN_FLIGHT`), 64 for MQTT (keep it under the broker's receive maximum),
   * 8 for webhooks (each is a request to someone's server).
   */
  maxInFlight?: number;
}

/**
 * The brokers' default `maxInFlight`: a whole default batch at once, as a hand-written loop
 * publishes it (publish all, then wait for every confirm). Fewer in flight leave the relay waiting
 * on round trips to the broker: 64 reached about two thirds of that loop. The publishes in flight
 * are the batch's own messages, already in memory, so this adds no memory of its own; it bounds
 * what the client library buffers before the broker answers.
 */
export const BROKER_MAX_IN_FLIGHT = DEFAULT_BATCH_SIZE;

/** For each producer's list of known option keys (see rejectUnknownOptions). */
export const PUBLISH_OPTION_KEYS: OptionKeys<PublishOptions> = { publishTimeoutMs: true, maxInFlight: true };

export interface ResolvedPublishOptions {
  readonly publishTimeoutMs: number;
  readonly maxInFlight: number;
}

export function checkObject(options: unknown, factory: string): void {
  if (options === null || typeof options !== 'object') throw invalidOption('options', options, `of ${factory} must be an object`);
}

export function resolvePublishOptions(o: PublishOptions, defaultInFlight: number): ResolvedPublishOptions {
  return {
    publishTimeoutMs: integerOption('publishTimeoutMs', o.publishTimeoutMs, 5000, 1, 600_000),
    maxInFlight: integerOption('maxInFlight', o.maxInFlight, defaultInFlight, 1, 10_000),
  };
}

export function integerOption(field: string, value: unknown, fallback: number, min: number, max: number): number {
  const v = value ?? fallback;
  if (!(typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max)) {
    throw invalidOption(field, v, `must be an integer from ${min} to ${max}`);
  }
  return v;
}

export function optionalFunction<F extends (...args: never[]) => unknown>(field: string, value: unknown): F | undefined {
  if (value !== undefined && typeof value !== 'function') throw invalidOption(field, value, 'must be a function');
  return value as F | undefined;
}

export function requiredFunction<F extends (...args: never[]) => unknown>(field: string, value: unknown): F {
  if (typeof value !== 'function') throw invalidOption(field, value, 'must be a function');
  return value as F;
}

/** A string option that may also be a function of the message; `allowEmpty` for RabbitMQ's default exchange. */
export function perMessageString(field: string, value: unknown, fallback: PerMessage<string> | undefined, allowEmpty = false): (m: OutboxMessage) => string {
  const v = value ?? fallback;
  if (typeof v === 'function') return v as (m: OutboxMessage) => string;
  if (typeof v === 'string' && (allowEmpty || v.length > 0)) return () => v;
  throw invalidOption(field, v, `must be a ${allowEmpty ? '' : 'non-empty '}string or a function of the message`);
}
