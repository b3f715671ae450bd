import type { OutboxMessage } from '../core/message.js';
import type { ProduceContext, ProduceFailure, ProduceResult } from '../core/producer.js';

export interface RecordingProducerOptions {
  /** Return an error (or a message) to fail that message; later messages of its key are then not attempted. */
  failWhen?: (message: OutboxMessage) => unknown;
  /** Called for each published message, in order. */
  onMessage?: (message: OutboxMessage, context: ProduceContext) => void;
}

export interface RecordingProducer {
  produce(messages: readonly OutboxMessage[], context: ProduceContext): Promise<ProduceResult>;
  /** Every message published, in publish order (duplicates included). */
  readonly messages: OutboxMessage[];
  /** Every batch received. */
  readonly batches: (readonly OutboxMessage[])[];
  clear(): void;
}

/**
 * A producer for unit tests that records what it publishes. It follows the producer contract the
 * built-in transports follow: after a message fails, later messages of the same key are skipped.
 */
export function createRecordingProducer(options: RecordingProducerOptions = {}): RecordingProducer {
  const messages: OutboxMessage[] = [];
  const batches: (readonly OutboxMessage[])[] = [];
  return {
    messages,
    batches,
    clear() {
      messages.length = 0;
      batches.length = 0;
    },
    async produce(batch, context) {
      batches.push(batch);
      const ok: string[] = [];
      const failed: ProduceFailure[] = [];
      const failedKeys = new Set<string>();
      for (const m of batch) {
        if (m.key !== null && failedKeys.has(m.key)) continue;
        const failure = options.failWhen?.(m);
        if (failure !== undefined && failure !== null && failure !== false) {
          failed.push({ id: m.id, error: failure });
          if (m.key !== null) failedKeys.add(m.key);
          continue;
        }
        messages.push(m);
        options.onMessage?.(m, context);
        ok.push(m.id);
      }
      return { ok, failed };
    },
  };
}
