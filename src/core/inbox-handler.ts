import { errorMessage, invalidOption, isPermanent, PermanentFailure } from './errors.js';
import type { HandleOutcome, HandlerContext, Inbox } from './inbox.js';

export interface InboxHandlerOptions<Tx, M extends { readonly id: string }, R> {
  inbox: Inbox<Tx>;
  /** Runs a function in a new transaction and commits it (a store's `transaction` helper). */
  transaction: <T>(fn: (tx: Tx) => Promise<T>) => Promise<T>;
  /** The consumer's stable name: the inbox remembers message ids per consumer. */
  consumer: string;
  /** The effect: runs in the transaction, once per message id. */
  handle(message: M, ctx: HandlerContext<Tx>): Promise<R> | R;
  /**
   * Failed tries (counted in this process) before the message is given up: the handler then throws
   * `PermanentFailure`, which the consumer helpers turn into the broker's dead-lettering instead of a
   * redelivery. Default 5.
   */
  maxAttempts?: number;
  /** Told about a message given up, before it is dead-lettered. */
  onGiveUp?(message: M, error: unknown): void;
}

/** Message ids remembered for attempt counting; old ones are forgotten first. */
const REMEMBERED = 10_000;

/**
 * Wraps an effect for a broker consumer helper (`consumeRabbitMq({ handler })`...): the effect runs
 * in a database transaction through the inbox, and the returned handler resolves only after the
 * commit, so the helper acknowledges to the broker after the effect is durable. A redelivery —
 * after a crash between commit and acknowledgement — finds the inbox row and is acknowledged
 * without running the effect again. A failure rolls everything back and the broker redelivers.
 */
export function inboxHandler<Tx, M extends { readonly id: string }, R = unknown>(
  options: InboxHandlerOptions<Tx, M, R>,
): (message: M) => Promise<HandleOutcome<R>> {
  const { inbox, transaction, consumer, handle, onGiveUp } = options ?? ({} as InboxHandlerOptions<Tx, M, R>);
  if (!inbox || typeof inbox.handleOnce !== 'function') throw invalidOption('inbox', inbox, 'must be an inbox (createInbox)');
  if (typeof transaction !== 'function') throw invalidOption('transaction', transaction, 'must be a function running a transaction');
  if (typeof handle !== 'function') throw invalidOption('handle', handle, 'must be a function');
  const maxAttempts = options.maxAttempts ?? 5;
  if (!(Number.isInteger(maxAttempts) && maxAttempts >= 1)) throw invalidOption('maxAttempts', maxAttempts, 'must be an integer >= 1');
  const failures = new Map<string, number>();

  return async (message) => {
    try {
      const outcome = await transaction((tx) => inbox.handleOnce(tx, { consumer, messageId: message.id }, (ctx) => handle(message, ctx)));
      failures.delete(message.id);
      return outcome;
    } catch (error) {
      if (isPermanent(error)) throw error;
      const failed = (failures.get(message.id) ?? 0) + 1;
      failures.delete(message.id);
      if (failed < maxAttempts) {
        failures.set(message.id, failed);
        if (failures.size > REMEMBERED) failures.delete(failures.keys().next().value!);
        throw error;
      }
      onGiveUp?.(message, error);
      throw new PermanentFailure(`consumer ${consumer} gave up on message ${message.id} after ${failed} attempts: ${errorMessage(error)}`, { cause: error });
    }
  };
}
