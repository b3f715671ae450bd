import type { EncodedMessage, OutboxMessage } from './message.js';
import type { OutboxStats, StatsOptions } from './stats.js';
import type { SchemaStatus } from './schema-version.js';
import type { MessageQueries } from './queries.js';
import type { WakeChannel } from './wake.js';

/** Identifies one outbox: the kind of store and the outbox's own name (OutboxKit's OutboxKey). */
export interface OutboxKey {
  readonly kind: string;
  readonly name: string;
}

export type CompletionMode = 'delete' | 'markProcessed';

export interface ClaimRequest {
  /** Most messages to return. */
  readonly limit: number;
  readonly signal?: AbortSignal;
}

/**
 * Messages claimed for one relay worker. Stores attach what they need to settle it (an open
 * transaction, or a lease token that fences out a zombie relay); the relay only reads these.
 */
export interface ClaimedBatch {
  /** In delivery order: per key, in position (insert) order. */
  readonly messages: readonly OutboxMessage[];
  /** True when the store saw at least `limit` candidates, so another claim would likely find more. */
  readonly hasMore: boolean;
}

export interface MessageFailure {
  readonly id: string;
  readonly error: string;
  /** Delay before the next attempt (ignored when `dead`). */
  readonly retryInMs: number;
  /** Move to the dead letters instead of retrying. */
  readonly dead: boolean;
}

/** What happened to each claimed message. Every claimed id appears in exactly one list. */
export interface Settlement {
  readonly delivered: readonly string[];
  readonly failed: readonly MessageFailure[];
  /** Not attempted: back to pending without counting an attempt. */
  readonly released: readonly string[];
  /** Who made the attempts (the relay's `owner`): recorded in each failed message's attempt history. */
  readonly relay?: string;
}

export interface SettleResult {
  /** Messages this worker no longer owned (lease expired and taken over): nothing was changed for them. */
  readonly lost: number;
}

/** Selects messages by one header's exact value, e.g. `{ name: 'txbox-consumer', value: 'billing' }`. */
export interface HeaderFilter {
  readonly name: string;
  readonly value: string;
}

export interface DeadLetter extends OutboxMessage {
  readonly error: string | null;
  readonly deadAt: Date;
}

/**
 * Where a requeued dead letter goes in its key's order:
 * - `keep` (default): its own position, so before its key's pending messages (they wait behind
 *   it again) and after those delivered while it was dead;
 * - `end`: a new position after every message written so far, so its key's pending messages go
 *   first and it no longer holds them back. Requeued together, messages keep their relative order.
 */
export type RequeuePosition = 'keep' | 'end';

export interface RequeueOptions {
  readonly position?: RequeuePosition;
}

export interface WriteResult {
  /** Ids not stored because a pending message already had the same dedup key. */
  readonly duplicates: readonly string[];
}

/**
 * The port every database implements. `Tx` is the store's own transaction handle: a pg
 * PoolClient, a PGlite transaction, a better-sqlite3 database...
 */
export interface OutboxStore<Tx = unknown> {
  readonly key: OutboxKey;
  readonly completion: CompletionMode;
  /** A claim older than this is abandoned and its messages can be claimed by another relay. */
  readonly claimTimeoutMs: number;
  /** In-process wake-ups: nudged after a commit made through this store. */
  readonly wakes: WakeChannel;

  write(tx: Tx, messages: readonly EncodedMessage[]): Promise<WriteResult>;
  /** Present on stores whose driver is synchronous, so writes can run inside a synchronous transaction. */
  writeSync?(tx: Tx, messages: readonly EncodedMessage[]): WriteResult;

  /**
   * Debounce support: gives the pending message with `message.dedupKey` — if no relay holds it —
   * the payload, headers, availability and id of `message`. True when one was replaced.
   */
  replacePending?(tx: Tx, message: EncodedMessage): Promise<boolean>;
  replacePendingSync?(tx: Tx, message: EncodedMessage): boolean;

  claim(request: ClaimRequest): Promise<ClaimedBatch | null>;
  /** Applies the outcome. Must not be cancelled by a relay shutdown: what was published is acknowledged. */
  settle(batch: ClaimedBatch, settlement: Settlement): Promise<SettleResult>;

  /** Mark-processed mode: removes processed messages older than `maxAgeMs`, at most `limit` of them. */
  cleanup(maxAgeMs: number, limit: number): Promise<number>;

  /**
   * Dead letters in outbox order, at most `limit` (default 100). With `header`, only those
   * carrying that header value, filtered in the query, so the limit counts matching ones only.
   */
  listDeadLetters(options?: { limit?: number; header?: HeaderFilter }): Promise<DeadLetter[]>;
  /**
   * Puts dead letters back to pending with their attempts reset, keeping their ids and attempt
   * history. Returns how many were requeued. A dead letter whose dedup key is pending again (a
   * newer message with that `dedupKey`, or one requeued before it in the same call) stays dead
   * and is not counted: the pending message wins, as at write time.
   */
  requeueDeadLetters(ids: readonly string[], options?: RequeueOptions): Promise<number>;
  discardDeadLetters(ids: readonly string[]): Promise<number>;

  /**
   * Creates the table and indexes if they do not exist, upgrades a table an earlier txbox made
   * (add-only) and records its schema version; refuses a version from the future (SCHEMA_TOO_NEW).
   */
  migrate(): Promise<void>;
  /** The DDL `migrate()` runs on a new database, version record included, for users' own migration tools. */
  schemaSql(): string;
  /** The table's recorded version and any columns, indexes or column types that differ, read from the database's catalog. */
  schemaStatus?(): Promise<SchemaStatus>;

  /**
   * Counts of pending, due, delayed, in-flight and dead messages and the lag of the oldest due
   * one, in one read-only query that takes no locks (docs/observability.md shows its plans).
   * Optional so that a store written outside txbox still fits the port.
   */
  stats?(options?: StatsOptions): Promise<OutboxStats>;

  /** Operations queries: messages by state and filter, blocked keys, redrive and discard by filter. */
  readonly query?: MessageQueries;

  /** Cross-process wake-up (LISTEN/NOTIFY...). Resolves to a function that stops watching. */
  watch?(onWake: () => void, onError: (error: unknown) => void): Promise<() => Promise<void>>;
}
