import type { OutboxMessage } from './message.js';
import type { HeaderFilter, RequeuePosition } from './store.js';

/**
 * States of a stored message, by the store's clock (the database's; SQLite and memory: the process's):
 * - `pending`: not delivered and not dead: `due`, `delayed` and `inFlight` together;
 * - `due`: may be claimed now (its time has come, no live claim holds it);
 * - `delayed`: waits for its time (a delay, or the backoff after a failed attempt: `attempts > 0`);
 * - `inFlight`: held by a relay's live lease. Claims that hold rows by a transaction's row lock
 *   (PostgreSQL and MySQL `claimMode: 'lock'`) cannot be seen without taking locks: there such
 *   messages show as `due` and `inFlight` is empty (`MessageQueries.inFlightVisible` is false);
 * - `dead`: a dead letter (failed `maxAttempts` times, or permanently).
 */
export type MessageState = 'pending' | 'due' | 'delayed' | 'inFlight' | 'dead';
export const MESSAGE_STATES: readonly MessageState[] = ['pending', 'due', 'delayed', 'inFlight', 'dead'];

/** The state of one message: a `pending` one is told precisely; `processed` only in mark-processed mode. */
export type StoredState = Exclude<MessageState, 'pending'> | 'processed';

/** Which messages: every field given must match (exact topic and key; error text as a case-sensitive substring). */
export interface MessageFilter {
  /** Default `pending`. */
  readonly state?: MessageState;
  readonly topic?: string;
  readonly key?: string;
  /** Written before this instant ("older than"). */
  readonly createdBefore?: Date;
  /** Written after this instant ("newer than"). */
  readonly createdAfter?: Date;
  /** A substring of the message's last error (case-sensitive). */
  readonly error?: string;
  /** One header's exact value; `{ name: 'txbox-consumer', value: 'billing' }` selects a consumer's messages. */
  readonly header?: HeaderFilter;
}

/** Dead letters to act on: a filter without a state. */
export type DeadLetterFilter = Omit<MessageFilter, 'state'>;

export interface ListRequest extends MessageFilter {
  /** Messages per page, 1..1000. Default 50. */
  readonly limit?: number;
  /** `next` of the previous page; absent for the first page. */
  readonly cursor?: string | null;
}

/** A stored message with what the store knows of its delivery. */
export interface StoredMessage extends OutboxMessage {
  readonly state: StoredState;
  /** The error of the last failed attempt (null once requeued). */
  readonly lastError: string | null;
  readonly deadAt: Date | null;
}

/**
 * One failed attempt of a message, recorded by the same statement that records the failure.
 * Stores keep the last `ATTEMPT_HISTORY_LIMIT` of them; a redrive keeps them (and numbers the
 * attempts after it from 1 again, as it resets `attempts`).
 */
export interface AttemptRecord {
  /** 1 for the first attempt (since the message was written or last redriven). */
  readonly attempt: number;
  /** When the failure was recorded, by the store's clock. */
  readonly at: Date;
  readonly error: string;
  /** The relay that made the attempt (its `owner`); null when the settlement named none. */
  readonly relay: string | null;
}

/** Failed attempts a store keeps per message: the newest ones, the oldest dropped first. */
export const ATTEMPT_HISTORY_LIMIT = 10;

/** One message as `get()` answers it: what a list shows, and its failed attempts. */
export interface MessageDetails extends StoredMessage {
  /** Oldest first, at most `ATTEMPT_HISTORY_LIMIT`; empty for a message that never failed. */
  readonly history: readonly AttemptRecord[];
}

export interface MessagePage {
  /** In outbox (position) order, oldest first. */
  readonly messages: readonly StoredMessage[];
  /** Messages matching the filter now, over all pages. */
  readonly total: number;
  /** Cursor of the next page, or null when this one was the last. */
  readonly next: string | null;
}

/**
 * A key whose oldest undelivered message is failing or dead:
 * - `failing`: that message has failed at least once and is not delivered yet (in backoff, due
 *   again or being retried); every later message of the key waits behind it;
 * - `dead`: that message is a dead letter. It no longer holds its key back: the later messages
 *   are delivered past it, so the key's order is already broken there.
 */
export interface BlockedKey {
  readonly key: string;
  readonly reason: 'failing' | 'dead';
  readonly head: StoredMessage;
  /**
   * `dead`: when the head died. `failing`: when its current run of failures began (its first
   * failed attempt since it was written or redriven); when the history no longer holds that
   * attempt, its oldest recorded one; for a failure recorded before the history existed
   * (schema version 1), when the head was written.
   */
  readonly since: Date;
  /** Pending messages of the key after the head: waiting for it (`failing`), or going past it (`dead`). */
  readonly behind: number;
}

export interface BlockedKeysRequest {
  /** Keys per page, 1..1000. Default 50. */
  readonly limit?: number;
  readonly cursor?: string | null;
}

export interface BlockedKeysPage {
  /** By the head's position, oldest first. */
  readonly keys: readonly BlockedKey[];
  readonly next: string | null;
}

export interface BatchOptions {
  /** Dead letters per statement, 1..1000. Default 100. */
  readonly batchSize?: number;
  /** Acts on at most this many. Default: every match. */
  readonly limit?: number;
  /** Stops between batches; what was done stays done. */
  readonly signal?: AbortSignal;
}

export interface RedriveOptions extends BatchOptions {
  /** Where each redriven message goes in its key's order (see RequeuePosition). Default `keep`. */
  readonly position?: RequeuePosition;
}

/**
 * Operations queries, on `store.query` of every built-in store. Reads are plain reads: they take
 * no lock a relay could wait for.
 */
export interface MessageQueries {
  /** Whether `inFlight` can be told from `due` (false for transaction-held claims; see MessageState). */
  readonly inFlightVisible: boolean;
  list(request?: ListRequest): Promise<MessagePage>;
  /** One message by id, in any state, with its attempt history; null when there is none (delivered and deleted, or never written). */
  get(id: string): Promise<MessageDetails | null>;
  blockedKeys(request?: BlockedKeysRequest): Promise<BlockedKeysPage>;
  /**
   * Puts the matching dead letters back to pending, attempts reset, in batches, as
   * `requeueDeadLetters` does. Each keeps its id (consumers' inboxes still recognise a message
   * they handled) and, by default, its position: it goes before its key's pending messages,
   * after any that were delivered while it was dead; `position: 'end'` puts it after every
   * message written so far instead. Returns how many were requeued.
   */
  redrive(filter?: DeadLetterFilter, options?: RedriveOptions): Promise<number>;
  /** Deletes the matching dead letters, in batches. Returns how many. */
  discard(filter?: DeadLetterFilter, options?: BatchOptions): Promise<number>;
}

/** A validated filter as stores read it: the state is always set. */
export interface ResolvedFilter extends MessageFilter {
  readonly state: MessageState;
}

/** A row with its position (decimal text: positions may exceed 2^53). */
export interface Positioned<T> {
  readonly position: string;
  readonly value: T;
}

/**
 * What a store implements so `messageQueries` can offer the API: plain position-ordered reads,
 * and the store's own requeue and discard by id.
 */
export interface QueryBackend {
  readonly inFlightVisible: boolean;
  /** Up to `limit` matching messages with a position after `after` (all when null), in position order. */
  page(filter: ResolvedFilter, after: string | null, limit: number): Promise<Positioned<StoredMessage>[]>;
  count(filter: ResolvedFilter): Promise<number>;
  get(id: string): Promise<MessageDetails | null>;
  /** Keys whose oldest undelivered message is failing or dead, with that message's position after `after`. */
  blocked(after: string | null, limit: number): Promise<Positioned<BlockedKey>[]>;
  /** The store's `requeueDeadLetters`. */
  requeue(ids: readonly string[], position: RequeuePosition): Promise<number>;
  discard(ids: readonly string[]): Promise<number>;
}
