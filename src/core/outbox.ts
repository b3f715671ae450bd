import { encodeMessages, type MessageInput, type TraceContextSource } from './message.js';
import { invalidOption, TxboxError } from './errors.js';
import { rejectUnknownOptions } from './option-keys.js';
import type { OutboxStore } from './store.js';

export interface SendResult {
  /** Ids of the messages given, in order (generated ones included). */
  readonly ids: readonly string[];
  /** Ids not stored because a pending message had the same dedup key. */
  readonly duplicates: readonly string[];
}

export interface Outbox<Tx> {
  readonly store: OutboxStore<Tx>;
  /** Writes messages inside the caller's transaction `tx`: they exist if and only if it commits. */
  send(tx: Tx, messages: MessageInput | readonly MessageInput[]): Promise<SendResult>;
  /** Same as `send`, for synchronous drivers (better-sqlite3) inside a synchronous transaction. */
  sendSync(tx: Tx, messages: MessageInput | readonly MessageInput[]): SendResult;
  /** Wakes relays in this process now; call it after committing a transaction you manage yourself. */
  nudge(): void;
}

export interface OutboxOptions<Tx> {
  store: OutboxStore<Tx>;
  /** Supplies the active span's trace context (see `otelTraceContext` in the docs). */
  traceContext?: TraceContextSource;
}

export function createOutbox<Tx>(options: OutboxOptions<Tx>): Outbox<Tx> {
  rejectUnknownOptions<OutboxOptions<Tx>>(options, { store: true, traceContext: true });
  const { store, traceContext } = options ?? ({} as OutboxOptions<Tx>);
  if (!store || typeof store.write !== 'function') throw invalidOption('store', store, 'must be an outbox store');
  if (traceContext !== undefined && typeof traceContext !== 'function') {
    throw invalidOption('traceContext', traceContext, 'must be a function returning a trace context');
  }
  return {
    store,
    async send(tx, input) {
      const encoded = encodeMessages(input, traceContext);
      const { duplicates } = await store.write(tx, encoded);
      return { ids: encoded.map((m) => m.id), duplicates };
    },
    sendSync(tx, input) {
      if (!store.writeSync) throw new TxboxError('NOT_SUPPORTED', `the ${store.key.kind} store has an asynchronous driver: use send()`);
      const encoded = encodeMessages(input, traceContext);
      const { duplicates } = store.writeSync(tx, encoded);
      return { ids: encoded.map((m) => m.id), duplicates };
    },
    nudge: () => store.wakes.nudge(),
  };
}
