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

/**
 * Publishes a batch chain by chain (see `chainsByKey`), each message with its own deadline, at
 * most `maxInFlight` chains at once. Written with callbacks rather than a pool of async workers,
 * so a message costs one promise (the client's) on top of the publish itself.
 */
export function publishInKeyOrder(
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
  let running = 0;
  let launching = false;

  return new Promise<ProduceResult>((resolve) => {
    const launch = () => {
      // A chain can end synchronously (an outage skips it): the loop goes on instead of recursing.
      if (launching) return;
      launching = true;
      while (running < plan.maxInFlight && next < chains.length && !relaySignal.aborted) {
        running++;
        step(chains[next++]!, 0);
      }
      launching = false;
      if (running === 0) {
        deadlines.dispose();
        resolve({ ok, failed });
      }
    };
    const chainDone = () => {
      running--;
      launch();
    };
    const step = (chain: readonly OutboxMessage[], i: number) => {
      const m = chain[i];
      if (m === undefined || relaySignal.aborted) return chainDone();
      const scope = plan.scope?.(m) ?? '';
      const outage = outages.get(scope);
      if (outage !== undefined) {
        failed.push({ id: m.id, error: markUnavailable(new Error(`not attempted: ${errorMessage(outage)}`, { cause: outage })), unavailable: true });
        return chainDone();
      }
      const failedWith = (error: unknown) => {
        if (!relaySignal.aborted) {
          const retryInMs = retryHint(error);
          failed.push({ id: m.id, error, permanent: isPermanent(error), unavailable: isNotSent(error), ...(retryInMs !== undefined && { retryInMs }) });
          if (isUnavailable(error) && !outages.has(scope)) outages.set(scope, error);
        }
        chainDone();
      };
      const deadline = deadlines.start(failedWith);
      if (deadline.done) return;
      let published: Promise<void>;
      try {
        published = publish(m, deadline.signal);
      } catch (error) {
        published = Promise.reject(error);
      }
      published.then(
        () => {
          if (!deadlines.finish(deadline)) return;
          ok.push(m.id);
          step(chain, i + 1);
        },
        (error: unknown) => {
          if (deadlines.finish(deadline)) failedWith(error);
        },
      );
    };
    launch();
  });
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

