import { invalidArgument, invalidOption, TxboxError } from './errors.js';
import type { MessageInput } from './message.js';
import { rejectUnknownOptions } from './option-keys.js';
import type { Outbox, SendResult } from './outbox.js';
import type { SchemaStatus } from './schema-version.js';

/** The port a database implements for the inbox: one row per (consumer, message id). */
export interface InboxStore<Tx = unknown> {
  readonly kind: string;
  /**
   * Inserts the (consumer, message id) row in `tx` unless it exists — an insert-or-ignore on a
   * unique key, never read-then-insert, so a duplicate racing on another instance waits for the
   * first transaction and then sees the row. Resolves true the first time.
   */
  record(tx: Tx, consumer: string, messageId: string): Promise<boolean>;
  recordSync?(tx: Tx, consumer: string, messageId: string): boolean;
  /** The result stored by the first handling, as JSON text (null when none was stored). */
  storedResult(tx: Tx, consumer: string, messageId: string): Promise<string | null>;
  storedResultSync?(tx: Tx, consumer: string, messageId: string): string | null;
  saveResult(tx: Tx, consumer: string, messageId: string, json: string): Promise<void>;
  saveResultSync?(tx: Tx, consumer: string, messageId: string, json: string): void;
  /** Removes rows older than `windowMs` (at most `limit`); one cleaner at a time. */
  cleanup(windowMs: number, limit: number): Promise<number>;
  /** Creates the table if missing and records its schema version; refuses a version from the future (SCHEMA_TOO_NEW). */
  migrate(): Promise<void>;
  /** The DDL `migrate()` runs on a new database, version record included. */
  schemaSql(): string;
  /** The table's recorded version and any columns, indexes or column types that differ, from the catalog. */
  schemaStatus?(): Promise<SchemaStatus>;
}

export interface HandlerContext<Tx> {
  readonly tx: Tx;
  readonly consumer: string;
  readonly messageId: string;
  /** Sends messages in the handler's transaction: they exist only if the handler's effects commit. */
  send(messages: MessageInput | readonly MessageInput[]): Promise<SendResult>;
  sendSync(messages: MessageInput | readonly MessageInput[]): SendResult;
}

export type HandleOutcome<R> = { readonly duplicate: false; readonly result: R } | { readonly duplicate: true; readonly result: R | undefined };

export interface InboxOptions<Tx> {
  store: InboxStore<Tx>;
  /** The outbox handlers send through (the consumer outbox). */
  outbox?: Outbox<Tx>;
  /** Keep handlers' results and return them on duplicates. Default false. */
  storeResults?: boolean;
  /** How long a message id is remembered: a redelivery after this is handled again. Default 7 days. */
  windowMs?: number;
}

export interface Inbox<Tx> {
  readonly windowMs: number;
  /** Runs `handler` in `tx` unless this consumer already handled this message id. */
  handleOnce<R>(tx: Tx, ids: { consumer: string; messageId: string }, handler: (ctx: HandlerContext<Tx>) => Promise<R> | R): Promise<HandleOutcome<R>>;
  /** The same for synchronous drivers (better-sqlite3), inside a synchronous transaction. */
  handleOnceSync<R>(tx: Tx, ids: { consumer: string; messageId: string }, handler: (ctx: HandlerContext<Tx>) => R): HandleOutcome<R>;
  /** Removes ids older than the window, in bounded batches. Returns how many were removed. */
  cleanup(batchSize?: number): Promise<number>;
}

const DAY = 24 * 60 * 60 * 1000;

export function createInbox<Tx>(options: InboxOptions<Tx>): Inbox<Tx> {
  rejectUnknownOptions<InboxOptions<Tx>>(options, { store: true, outbox: true, storeResults: true, windowMs: true });
  const { store, outbox, storeResults = false, windowMs = 7 * DAY } = options ?? ({} as InboxOptions<Tx>);
  if (!store || typeof store.record !== 'function') throw invalidOption('store', store, 'must be an inbox store (createPostgresInbox, createSqliteInbox...)');
  if (!(Number.isFinite(windowMs) && windowMs > 0)) throw invalidOption('windowMs', windowMs, 'must be a positive number of milliseconds');
  const sync = <K extends 'recordSync' | 'storedResultSync' | 'saveResultSync'>(name: K): NonNullable<InboxStore<Tx>[K]> => {
    const fn = store[name];
    if (!fn) throw new TxboxError('NOT_SUPPORTED', `the ${store.kind} inbox has an asynchronous driver: use handleOnce()`);
    return fn.bind(store) as NonNullable<InboxStore<Tx>[K]>;
  };
  const context = (tx: Tx, consumer: string, messageId: string): HandlerContext<Tx> => ({
    tx,
    consumer,
    messageId,
    send: (messages) => requireOutbox().send(tx, messages),
    sendSync: (messages) => requireOutbox().sendSync(tx, messages),
  });
  const requireOutbox = () => {
    if (!outbox) throw new TxboxError('NOT_SUPPORTED', 'this inbox has no outbox: pass createInbox({ store, outbox })');
    return outbox;
  };
  const parse = <R>(json: string | null) => (json === null ? undefined : (JSON.parse(json) as R));
  const encode = (result: unknown) => JSON.stringify(result === undefined ? null : result);

  return {
    windowMs,
    async handleOnce(tx, ids, handler) {
      const { consumer, messageId } = checkIds(ids);
      if (!(await store.record(tx, consumer, messageId))) {
        return { duplicate: true, result: storeResults ? parse(await store.storedResult(tx, consumer, messageId)) : undefined };
      }
      const result = await handler(context(tx, consumer, messageId));
      if (storeResults) await store.saveResult(tx, consumer, messageId, encode(result));
      return { duplicate: false, result };
    },
    handleOnceSync(tx, ids, handler) {
      const { consumer, messageId } = checkIds(ids);
      if (!sync('recordSync')(tx, consumer, messageId)) {
        return { duplicate: true, result: storeResults ? parse(sync('storedResultSync')(tx, consumer, messageId)) : undefined };
      }
      const result = handler(context(tx, consumer, messageId));
      if (storeResults) sync('saveResultSync')(tx, consumer, messageId, encode(result));
      return { duplicate: false, result };
    },
    async cleanup(batchSize = 1000) {
      let total = 0;
      for (;;) {
        const removed = await store.cleanup(windowMs, batchSize);
        total += removed;
        if (removed < batchSize) return total;
      }
    },
  };
}

function checkIds(ids: { consumer: string; messageId: string }) {
  const { consumer, messageId } = ids ?? ({} as { consumer: string; messageId: string });
  for (const [field, value] of [['consumer', consumer], ['messageId', messageId]] as const) {
    if (typeof value !== 'string' || value.length === 0 || value.length > 255) {
      throw invalidArgument(field, value, 'must be a non-empty string of at most 255 characters');
    }
  }
  return { consumer, messageId };
}
