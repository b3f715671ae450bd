/**
 * Instrument and attribute names. `messaging.*` follow OpenTelemetry's messaging semantic
 * conventions; `txbox.*` name what the conventions have no word for (the outbox's own work).
 */
export const METRIC = {
  // Producer side (the relay publishing to a broker), per semantic conventions.
  clientSent: 'messaging.client.sent.messages',
  clientDuration: 'messaging.client.operation.duration',
  // Consumer side (helpers and in-process consumers), per semantic conventions.
  clientConsumed: 'messaging.client.consumed.messages',
  processDuration: 'messaging.process.duration',
  // The outbox and the relay.
  outboxSent: 'txbox.outbox.sent.messages',
  relayMessages: 'txbox.relay.messages',
  relayRedelivered: 'txbox.relay.redelivered.messages',
  relayBatchSize: 'txbox.relay.batch.size',
  relayClaimDuration: 'txbox.relay.claim.duration',
  relayProduceDuration: 'txbox.relay.produce.duration',
  relaySettleDuration: 'txbox.relay.settle.duration',
  relayErrors: 'txbox.relay.errors',
  consumerMessages: 'txbox.consumer.messages',
  inboxMessages: 'txbox.inbox.messages',
  // Gauges from a store's cached stats().
  pending: 'txbox.outbox.pending',
  due: 'txbox.outbox.due',
  delayed: 'txbox.outbox.delayed',
  inFlight: 'txbox.outbox.in_flight',
  dead: 'txbox.outbox.dead',
  lag: 'txbox.outbox.lag',
} as const;

export const ATTR = {
  system: 'messaging.system',
  destination: 'messaging.destination.name',
  subscription: 'messaging.destination.subscription.name',
  operationName: 'messaging.operation.name',
  operationType: 'messaging.operation.type',
  messageId: 'messaging.message.id',
  batchCount: 'messaging.batch.message_count',
  errorType: 'error.type',
  outboxKind: 'txbox.outbox.kind',
  outboxName: 'txbox.outbox.name',
  outcome: 'txbox.outcome',
  event: 'txbox.event',
  consumer: 'txbox.consumer',
} as const;

/** Seconds: the conventions' unit for durations; buckets from 0.5 ms to 10 s suit an outbox. */
export const SECONDS_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
export const BATCH_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];

/** `error.type` per the conventions: a stable code when the error has one, else its class name. */
export function errorType(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.length > 0) return code;
  if (error instanceof Error) return error.name || 'Error';
  return '_OTHER';
}
