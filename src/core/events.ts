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
  | { type: 'message.failed'; key: OutboxKey; id: string; error: string; retryInMs: number }
  | { type: 'message.dead'; key: OutboxKey; id: string; error: string }
  | { type: 'order.violated'; key: OutboxKey; ids: readonly string[] }
  | { type: 'batch.expired'; key: OutboxKey; count: number }
  | { type: 'settle.failed'; key: OutboxKey; error: unknown; attempt: number; willRetry: boolean }
  | { type: 'cleanup.done'; key: OutboxKey; removed: number }
  | { type: 'cleanup.failed'; key: OutboxKey; error: unknown }
  | { type: 'watch.failed'; key: OutboxKey; error: unknown; retryInMs: number }
  | { type: 'schedule.fired'; key: OutboxKey; name: string; scheduledFor: Date }
  | { type: 'schedule.failed'; key: OutboxKey; error: unknown };

export type RelayEventListener = (event: RelayEvent) => void;

export function safeEmitter(listener: RelayEventListener | undefined): RelayEventListener {
  if (!listener) return () => {};
  return (event) => {
    try {
      listener(event);
    } catch {
      // A faulty listener must not stop delivery.
    }
  };
}
