import type { Attributes, Meter } from '@opentelemetry/api';
import type { RelayEvent, RelayEventListener } from '../core/events.js';
import type { OutboxKey } from '../core/store.js';
import { ATTR, BATCH_BUCKETS, METRIC, SECONDS_BUCKETS } from './names.js';

/** Event types counted as relay errors (`txbox.relay.errors`, by `txbox.event`). */
const ERROR_EVENTS = new Set<RelayEvent['type']>(['claim.failed', 'produce.failed', 'settle.failed', 'batch.expired', 'order.violated', 'cleanup.failed', 'watch.failed', 'schedule.failed']);

/** Turns the relay's event stream into metrics. Durations come from the events, in seconds. */
export function relayMetrics(meter: Meter): RelayEventListener {
  const messages = meter.createCounter(METRIC.relayMessages, { unit: '{message}', description: 'Messages the relay settled, by outcome: delivered, retried, released, dead, lost' });
  const batchSize = meter.createHistogram(METRIC.relayBatchSize, { unit: '{message}', description: 'Messages per claimed batch', advice: { explicitBucketBoundaries: BATCH_BUCKETS } });
  const seconds = (name: string, description: string) => meter.createHistogram(name, { unit: 's', description, advice: { explicitBucketBoundaries: SECONDS_BUCKETS } });
  const claim = seconds(METRIC.relayClaimDuration, 'Time to claim a non-empty batch');
  const produce = seconds(METRIC.relayProduceDuration, 'Time the producer took with a batch');
  const settle = seconds(METRIC.relaySettleDuration, 'Time to acknowledge or reschedule a batch');
  const errors = meter.createCounter(METRIC.relayErrors, { unit: '{error}', description: 'Relay failures, by event type' });
  // One attribute set per outbox and outcome, built once: the listener runs on every batch.
  const cache = new Map<string, Attributes>();
  const attrs = (key: OutboxKey, name?: string, value?: string): Attributes => {
    const id = `${key.kind}\0${key.name}\0${name ?? ''}\0${value ?? ''}`;
    let a = cache.get(id);
    if (!a) cache.set(id, (a = { [ATTR.outboxKind]: key.kind, [ATTR.outboxName]: key.name, ...(name ? { [name]: value } : {}) }));
    return a;
  };
  const count = (key: OutboxKey, outcome: string, n: number) => {
    if (n > 0) messages.add(n, attrs(key, ATTR.outcome, outcome));
  };

  return (event) => {
    if (event.type === 'batch.settled') {
      const a = attrs(event.key);
      batchSize.record(event.claimed, a);
      claim.record(event.claimMs / 1000, a);
      produce.record(event.produceMs / 1000, a);
      settle.record(event.settleMs / 1000, a);
      count(event.key, 'delivered', event.delivered);
      count(event.key, 'retried', event.failed);
      count(event.key, 'released', event.released);
      count(event.key, 'dead', event.dead);
      count(event.key, 'lost', event.lost);
    } else if (ERROR_EVENTS.has(event.type)) {
      errors.add(1, attrs(event.key, ATTR.event, event.type));
      // An expired batch is released unpublished, with no batch.settled event.
      if (event.type === 'batch.expired') count(event.key, 'released', event.count);
    }
  };
}
