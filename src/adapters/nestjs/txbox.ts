import type { OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { invalidOption, TxboxError } from '../../core/errors.js';
import type { MessageInput } from '../../core/message.js';
import { createOutbox, type Outbox, type SendResult } from '../../core/outbox.js';
import { createRelay, type Relay } from '../../core/relay.js';
import type { OutboxStore } from '../../core/store.js';
import type { TransactionHostLike, TxboxModuleOptions } from './options.js';

/**
 * What TxboxModule provides: the outbox, its store and relays, and `send()` in the ambient
 * transaction of `@nestjs-cls/transactional`. It owns the relays' lifecycle: they start on
 * application bootstrap and are drained in `onModuleDestroy`, the first hook of `app.close()`,
 * so the batch in flight is acknowledged before any module's `beforeApplicationShutdown` or
 * `onApplicationShutdown` closes a pool or a broker connection.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export class Txbox<Tx = any> implements OnApplicationBootstrap, OnModuleDestroy {
  readonly outbox: Outbox<Tx>;
  readonly relays: readonly Relay[];
  readonly #host: TransactionHostLike | undefined;
  readonly #handle: (tx: unknown) => Tx;

  constructor(options: TxboxModuleOptions<Tx>, host?: TransactionHostLike) {
    if (host !== undefined && (typeof host !== 'object' || host === null || typeof host.isTransactionActive !== 'function')) {
      throw invalidOption('transactionHost', host, 'must resolve to a TransactionHost of @nestjs-cls/transactional');
    }
    this.outbox = createOutbox({ store: options.store, ...(options.traceContext ? { traceContext: options.traceContext } : {}) });
    this.relays = (options.relays ?? []).map((relay) => createRelay({ ...relay, store: relay.store ?? options.store }));
    this.#host = host;
    this.#handle = options.transactionHandle ?? ((tx) => tx as Tx);
  }

  get store(): OutboxStore<Tx> {
    return this.outbox.store;
  }

  /**
   * Writes messages in the transaction active on the TransactionHost (a `@Transactional()`
   * method or `withTransaction`): they exist if and only if it commits. Refused, before anything
   * is written, when no transaction is active: the write would commit on its own.
   */
  send(messages: MessageInput | readonly MessageInput[]): Promise<SendResult> {
    return this.outbox.send(this.#ambient(), messages);
  }

  /** `send()` for synchronous drivers (better-sqlite3). */
  sendSync(messages: MessageInput | readonly MessageInput[]): SendResult {
    return this.outbox.sendSync(this.#ambient(), messages);
  }

  /** Wakes this process's relays now, e.g. right after the transaction that sent committed. */
  nudge(): void {
    this.outbox.nudge();
  }

  onApplicationBootstrap(): void {
    for (const relay of this.relays) relay.start();
  }

  /** Finishes and acknowledges the batches in flight; idempotent, so calling it early is fine. */
  async onModuleDestroy(): Promise<void> {
    await Promise.all(this.relays.map((relay) => relay.stop()));
  }

  #ambient(): Tx {
    const host = this.#host;
    if (!host) {
      throw new TxboxError('NOT_SUPPORTED', 'txbox.send() joins the ambient transaction, and TxboxModule has no transactionHost: pass transactionHost: TransactionHost to TxboxModule.forRoot(), or call txbox.outbox.send(tx, messages)', { field: 'transactionHost' });
    }
    if (!host.isTransactionActive()) {
      throw new TxboxError('INVALID_ARGUMENT', 'no transaction is active: call txbox.send() inside a @Transactional() method or TransactionHost.withTransaction(), or the message would be stored even if the business write rolled back', { field: 'transaction' });
    }
    return this.#handle(host.tx);
  }
}
