import type { OutboxStats } from './stats.js';
import type { OutboxKey } from './store.js';

/**
 * The one stream a relay reports through: logs, metrics and tracing all read it. Listener errors
 * are swallowed so observability can never break delivery.
 */
export type RelayEvent =
  | { type: 'relay.started'; key: OutboxKey; owner: string }
  | { type: 'relay.stopped'; key: OutboxKey; owner: string }
  | { type: 'claim.failed'; key: OutboxKey; error: unknown; retryInMs: number }
  | { type: 'produce.failed'; key: OutboxKey; error: unknown; count: number; retryInMs: number }
  | {
      type: 'batch.settled';
      key: OutboxKey;
      claimed: number;
      delivered: number;
      failed: number;
      released: number;
      dead: number;
      lost: number;
      claimMs: number;
      produceMs: number;
      settleMs: number;
    }
  /** `messageKey`: the message's own key (null when unkeyed); `attempt`: the attempt that failed, from 1. */
  | { type: 'message.failed'; key: OutboxKey; id: string; messageKey: string | null; attempt: number; error: string; retryInMs: number }
  | { type: 'message.dead'; key: OutboxKey; id: string; messageKey: string | null; attempt: number; error: string }
  | { type: 'order.violated'; key: OutboxKey; ids: readonly string[] }
  | { type: 'batch.expired'; key: OutboxKey; count: number }
  | { type: 'settle.failed'; key: OutboxKey; error: unknown; attempt: number; willRetry: boolean }
  | { type: 'cleanup.done'; key: OutboxKey; removed: number }
  | { type: 'cleanup.failed'; key: OutboxKey; error: unknown }
  | { type: 'watch.failed'; key: OutboxKey; error: unknown; retryInMs: number }
  | { type: 'schedule.fired'; key: OutboxKey; name: string; scheduledFor: Date }
  | { type: 'schedule.failed'; key: OutboxKey; error: unknown }
  /** The relay read the store's stats (every `warnings.intervalMs`): metrics can reuse them instead of querying. */
  | { type: 'stats.sampled'; key: OutboxKey; stats: OutboxStats }
  | { type: 'stats.failed'; key: OutboxKey; error: unknown }
  /** More than `threshold` messages have been due for longer than `forMs`, and not fewer than when it began. */
  | { type: 'backlog.growing'; key: OutboxKey; due: number; threshold: number; forMs: number }
  /** The oldest due message has waited longer than `thresholdMs`. */
  | { type: 'lag.high'; key: OutboxKey; lagMs: number; thresholdMs: number; oldestDueAt: Date | null }
  /** The head of `messageKey` has failed `attempt` times in a row: the key's later messages wait behind it. */
  | { type: 'key.blocked'; key: OutboxKey; messageKey: string; id: string; attempt: number; error: string }
  /** A condition reported before is over: `count` reports of it, the first `durationMs` ago. */
  | { type: 'recovered'; key: OutboxKey; condition: RecoverableCondition; count: number; durationMs: number };

/** The conditions that end with a `recovered` event. */
export type RecoverableCondition = 'claim.failed' | 'produce.failed' | 'stats.failed' | 'backlog.growing' | 'lag.high';

export type RelayEventListener = (event: RelayEvent) => void;

export function safeEmitter(...listeners: (RelayEventListener | undefined)[]): RelayEventListener {
  const present = listeners.filter((l): l is RelayEventListener => l !== undefined);
  if (present.length === 0) return () => {};
  return (event) => {
    for (const listener of present) {
      try {
        listener(event);
      } catch {
        // A faulty listener must not stop delivery, nor the listeners after it.
      }
    }
  };
}
