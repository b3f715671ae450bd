import { errorMessage, isPermanent } from '../../core/errors.js';
import type { OutboxMessage } from '../../core/message.js';
import type { ProduceFailure, ProduceResult } from '../../core/producer.js';
import { DeadlineQueue } from './deadline.js';
import { isNotSent, isUnavailable, markUnavailable, retryHint } from './failures.js';
import type { ResolvedPublishOptions } from './options.js';

export interface KeyedPlan extends ResolvedPublishOptions {
  /** Names the broker (or endpoint) in timeout errors. */
  readonly what: string;
  /** Messages with the same scope share an outage: one unreachable endpoint does not skip another. */
  readonly scope?: (message: OutboxMessage) => string;
  /** The client can cancel a request: each publish gets a signal that aborts at its deadline. */
  readonly cancellable?: boolean;
}

/**
 * Splits a batch into chains: one per key, in batch order, and one per unkeyed message. A chain
 * is published one message at a time and stops at its first failure, so a key's later message is
 * never published ahead of an earlier one that failed (those are left out of the result and the
 * relay releases them without counting an attempt). Chains run in parallel, `maxInFlight` at once.
 */
export function chainsByKey(messages: readonly OutboxMessage[]): OutboxMessage[][] {
  const chains: OutboxMessage[][] = [];
  const byKey = new Map<string, OutboxMessage[]>();
  for (const m of messages) {
    if (m.key === null) {
      chains.push([m]);
      continue;
    }
    let chain = byKey.get(m.key);
    if (!chain) {
      byKey.set(m.key, (chain = []));
      chains.push(chain);
    }
    chain.push(m);
  }
  return chains;
}

/** Publishes a batch chain by chain (see `chainsByKey`), each message with its own deadline. */
export async function publishInKeyOrder(
  messages: readonly OutboxMessage[],
  relaySignal: AbortSignal,
  plan: KeyedPlan,
  publish: (message: OutboxMessage, signal: AbortSignal) => Promise<void>,
): Promise<ProduceResult> {
  const deadlines = new DeadlineQueue(plan.publishTimeoutMs, relaySignal, plan.what, plan.cancellable);
  const ok: string[] = [];
  const failed: ProduceFailure[] = [];
  const outages = new Map<string, unknown>();
  const chains = chainsByKey(messages);
  let next = 0;

  const runChain = async (chain: readonly OutboxMessage[]) => {
    for (const m of chain) {
      if (relaySignal.aborted) return;
      const scope = plan.scope?.(m) ?? '';
      const outage = outages.get(scope);
      if (outage !== undefined) {
        failed.push({ id: m.id, error: markUnavailable(new Error(`not attempted: ${errorMessage(outage)}`, { cause: outage })), unavailable: true });
        return;
      }
      try {
        await deadlines.run((s) => publish(m, s));
        ok.push(m.id);
      } catch (error) {
        if (relaySignal.aborted) return;
        const retryInMs = retryHint(error);
        failed.push({ id: m.id, error, permanent: isPermanent(error), unavailable: isNotSent(error), ...(retryInMs !== undefined && { retryInMs }) });
        if (isUnavailable(error) && !outages.has(scope)) outages.set(scope, error);
        return;
      }
    }
  };
  const worker = async () => {
    while (next < chains.length && !relaySignal.aborted) await runChain(chains[next++]!);
  };
  try {
    await Promise.all(Array.from({ length: Math.min(plan.maxInFlight, chains.length) }, worker));
  } finally {
    deadlines.dispose();
  }
  return { ok, failed };
}

/**
 * The same per-key rule for brokers that take a whole pipeline at once: round `i` holds the `i`-th
 * message of every key (round 0 also every unkeyed message), so one round trip per round keeps
 * each key in order and lets the caller drop a key's later rounds after it failed.
 */
export function roundsByKey(messages: readonly OutboxMessage[]): OutboxMessage[][] {
  const rounds: OutboxMessage[][] = [];
  for (const chain of chainsByKey(messages)) {
    chain.forEach((m, i) => (rounds[i] ??= []).push(m));
  }
  return rounds;
}

/** The messages to report failed when nothing could be attempted: each chain's head. */
export function failChainHeads(messages: readonly OutboxMessage[], error: unknown): ProduceResult {
  const failed = chainsByKey(messages).map((chain) => ({ id: chain[0]!.id, error, permanent: isPermanent(error), unavailable: isNotSent(error) }));
  return { ok: [], failed };
}

