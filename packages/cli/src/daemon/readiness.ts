import type { RelayEvent } from 'txbox';

export interface OutboxHealth {
  readonly store: 'unknown' | 'ok' | 'failing';
  readonly producer: 'unknown' | 'ok' | 'failing';
  readonly lastError: string | null;
  readonly ready: boolean;
}

/**
 * Readiness from what the relay reports: a claim that answered marks the store ok and a
 * `claim.failed` marks it failing; a batch with deliveries marks the producer ok and a
 * `produce.failed` (the broker threw or was unreachable) marks it failing. An idle outbox never
 * calls its producer, so a broker that goes away shows only once a message is waiting.
 */
export class Readiness {
  private store: OutboxHealth['store'] = 'unknown';
  private producer: OutboxHealth['producer'] = 'unknown';
  private lastError: string | null = null;

  claimAnswered(): void {
    this.store = 'ok';
  }

  onEvent(event: RelayEvent): void {
    if (event.type === 'claim.failed') {
      this.store = 'failing';
      this.lastError = `store: ${message(event.error)}`;
    } else if (event.type === 'produce.failed') {
      this.producer = 'failing';
      this.lastError = `producer: ${message(event.error)}`;
    } else if (event.type === 'batch.settled' && event.delivered > 0) {
      this.producer = 'ok';
    }
  }

  get health(): OutboxHealth {
    return { store: this.store, producer: this.producer, lastError: this.lastError, ready: this.store !== 'failing' && this.producer !== 'failing' };
  }
}

function message(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return message(error.errors[0]);
  return error instanceof Error ? error.message || error.name : String(error);
}
