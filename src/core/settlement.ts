import { backoffDelay, type Backoff } from './backoff.js';
import { errorMessage, isPermanent } from './errors.js';
import { malformedReason, type OutboxMessage } from './message.js';
import type { CheckedProduceResult } from './producer.js';
import type { MessageFailure, Settlement } from './store.js';

export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly retry: Backoff;
  readonly random: () => number;
}

/** What the producer did with a batch: its checked answer (undefined: all published), or the error it threw. */
export type ProduceOutcome = { result: CheckedProduceResult | undefined } | { thrown: unknown };

export interface SettlementPlan {
  readonly settlement: Settlement;
  /** Messages released because their destination was unreachable. */
  readonly unavailable: number;
  /** Messages a producer reported published after an earlier message of their key failed. */
  readonly orderViolations: readonly string[];
}

/** Turns a produce outcome into what the store records: delivered, failed (retry or dead), released. */
export function planSettlement(messages: readonly OutboxMessage[], outcome: ProduceOutcome, policy: RetryPolicy): SettlementPlan {
  const ok = new Set<string>();
  const explicit = new Map<string, Reason>();
  const unreachable = new Set<string>();
  if ('thrown' in outcome) {
    // A row the store could not read was never given to the producer: it dies with its reason.
    for (const m of messages) {
      const malformed = malformedReason(m);
      explicit.set(m.id, malformed === undefined ? { error: outcome.thrown, permanent: isPermanent(outcome.thrown) } : { error: malformed, permanent: true });
    }
  } else if (outcome.result === undefined) {
    for (const m of messages) ok.add(m.id);
  } else {
    for (const id of outcome.result.ok) ok.add(id);
    for (const f of outcome.result.failed) {
      if (ok.has(f.id)) continue;
      if (f.unavailable === true && f.permanent !== true) unreachable.add(f.id);
      else explicit.set(f.id, { error: f.error, permanent: f.permanent === true || isPermanent(f.error), retryInMs: f.retryInMs });
    }
  }

  const delivered: string[] = [];
  const failed: MessageFailure[] = [];
  const released: string[] = [];
  const orderViolations: string[] = [];
  const failedKeys = new Set<string>();
  for (const m of messages) {
    const keyFailed = m.key !== null && failedKeys.has(m.key);
    if (ok.has(m.id)) {
      delivered.push(m.id);
      if (keyFailed) orderViolations.push(m.id);
      continue;
    }
    if (keyFailed || unreachable.has(m.id)) {
      released.push(m.id);
      if (m.key !== null) failedKeys.add(m.key);
      continue;
    }
    failed.push(toFailure(m, explicit.get(m.id) ?? { error: 'not acknowledged by the producer', permanent: false }, policy));
    if (m.key !== null) failedKeys.add(m.key);
  }
  return { settlement: { delivered, failed, released }, orderViolations, unavailable: unreachable.size };
}

interface Reason {
  error: unknown;
  permanent: boolean;
  retryInMs?: number | undefined;
}

/** Stores keep whole milliseconds and dates before the year 10000: a producer's retryInMs is rounded up and capped. */
const MAX_RETRY_MS = 100 * 365 * 24 * 3600 * 1000;

function toFailure(m: OutboxMessage, reason: Reason, policy: RetryPolicy): MessageFailure {
  const attempt = m.attempts + 1;
  const dead = reason.permanent || attempt >= policy.maxAttempts;
  const asked = reason.retryInMs;
  return {
    id: m.id,
    error: errorMessage(reason.error).slice(0, 2000),
    retryInMs: dead ? 0 : asked !== undefined && Number.isFinite(asked) && asked >= 0 ? Math.ceil(Math.min(asked, MAX_RETRY_MS)) : backoffDelay(policy.retry, attempt, policy.random),
    dead,
  };
}
