import { errorMessage } from '../../core/errors.js';

/**
 * Errors that mean "the broker cannot be reached right now" (closed channel, refused connection,
 * no answer before the deadline). After one of them the rest of the batch is not attempted: each
 * would only wait for the same outage.
 */
const outages = new WeakSet<object>();

export function markUnavailable<E>(error: E): E {
  if (typeof error === 'object' && error !== null) outages.add(error);
  return error;
}

export function isUnavailable(error: unknown): boolean {
  return typeof error === 'object' && error !== null && outages.has(error);
}

/**
 * Why one message was not published: recorded as the message's last error. The driver's error is
 * kept as `cause`, unchanged.
 */
export function publishFailure(transport: string, what: string, cause?: unknown): Error {
  const detail = cause === undefined ? '' : `: ${errorMessage(cause)}`;
  return new Error(`${transport}: ${what}${detail}`, cause === undefined ? undefined : { cause });
}

export function unavailable(transport: string, what: string, cause?: unknown): Error {
  return markUnavailable(publishFailure(transport, what, cause));
}

/**
 * Outages where nothing can have gone out (not connected, channel already closed, connection
 * refused). The relay releases such a message without counting an attempt, so an outage never
 * turns messages into dead letters. Lost answers (timeouts, a channel closing mid-confirm) are
 * not among them: the broker may have taken the message.
 */
const unsent = new WeakSet<object>();

export function notSent(transport: string, what: string, cause?: unknown): Error {
  const error = unavailable(transport, what, cause);
  unsent.add(error);
  return error;
}

export function isNotSent(error: unknown): boolean {
  return typeof error === 'object' && error !== null && unsent.has(error);
}

/** A delay the broker or endpoint asked for (HTTP Retry-After), passed to the relay as `retryInMs`. */
const retryHints = new WeakMap<object, number>();

export function withRetryHint<E extends object>(error: E, retryInMs: number | undefined): E {
  if (retryInMs !== undefined) retryHints.set(error, retryInMs);
  return error;
}

export function retryHint(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null ? retryHints.get(error) : undefined;
}
