import type { Meter } from '@opentelemetry/api';
import type { InboxStore } from '../core/inbox.js';
import { KeyedCache } from './cache.js';
import { ATTR, METRIC } from './names.js';

/**
 * An inbox store that counts what its unique row decides, per consumer: `first` (the effect runs)
 * or `duplicate` (skipped). Counted in the handler's transaction: a first try that rolls back
 * counts again when it is retried. Works for `createInbox` and for in-process consumers alike.
 */
export function instrumentInboxStore<Tx>(store: InboxStore<Tx>, meter: Meter): InboxStore<Tx> {
  const messages = meter.createCounter(METRIC.inboxMessages, { unit: '{message}', description: 'Messages seen by the inbox, by outcome: first, duplicate' });
  const byConsumer = new KeyedCache((consumer: string) => ({
    first: { [ATTR.consumer]: consumer, [ATTR.outcome]: 'first' },
    duplicate: { [ATTR.consumer]: consumer, [ATTR.outcome]: 'duplicate' },
  }));
  const count = (consumer: string, first: boolean) => {
    const a = byConsumer.get(consumer);
    messages.add(1, first ? a.first : a.duplicate);
    return first;
  };
  const recordSync = store.recordSync;
  return {
    kind: store.kind,
    record: async (tx, consumer, messageId) => count(consumer, await store.record(tx, consumer, messageId)),
    storedResult: (tx, consumer, messageId) => store.storedResult(tx, consumer, messageId),
    saveResult: (tx, consumer, messageId, json) => store.saveResult(tx, consumer, messageId, json),
    cleanup: (windowMs, limit) => store.cleanup(windowMs, limit),
    migrate: () => store.migrate(),
    schemaSql: () => store.schemaSql(),
    ...(recordSync ? { recordSync: (tx: Tx, consumer: string, messageId: string) => count(consumer, recordSync.call(store, tx, consumer, messageId)) } : {}),
    ...(store.storedResultSync ? { storedResultSync: store.storedResultSync.bind(store) } : {}),
    ...(store.saveResultSync ? { saveResultSync: store.saveResultSync.bind(store) } : {}),
    ...(store.schemaStatus ? { schemaStatus: store.schemaStatus.bind(store) } : {}),
  };
}
