/**
 * What the dashboard reads from txbox, declared by shape (as `txbox/opentelemetry` does): any
 * store with these members fits, and the dashboard loads nothing of txbox at run time.
 */

export type MessageState = 'pending' | 'due' | 'delayed' | 'inFlight' | 'dead';

export interface HeaderFilterLike {
  readonly name: string;
  readonly value: string;
}

export interface FilterLike {
  readonly state?: MessageState;
  readonly topic?: string;
  readonly key?: string;
  readonly createdBefore?: Date;
  readonly createdAfter?: Date;
  readonly error?: string;
  readonly header?: HeaderFilterLike;
}

export interface StoredMessageLike {
  readonly id: string;
  readonly topic: string;
  readonly key: string | null;
  readonly payload: Uint8Array;
  readonly contentType: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly createdAt: Date;
  readonly availableAt: Date;
  readonly attempts: number;
  readonly dedupKey: string | null;
  readonly state: string;
  readonly lastError: string | null;
  readonly deadAt: Date | null;
}

/** One failed attempt, as `query.get()` answers it. */
export interface AttemptLike {
  readonly attempt: number;
  readonly at: Date;
  readonly error: string;
  readonly relay: string | null;
}

/** One message with its attempt history (absent from stores older than the history). */
export interface MessageDetailsLike extends StoredMessageLike {
  readonly history?: readonly AttemptLike[];
}

export interface BlockedKeyLike {
  readonly key: string;
  readonly reason: 'failing' | 'dead';
  readonly head: StoredMessageLike;
  readonly since: Date;
  readonly behind: number;
}

export interface QueriesLike {
  readonly inFlightVisible: boolean;
  list(request?: FilterLike & { limit?: number; cursor?: string | null }): Promise<{ messages: readonly StoredMessageLike[]; total: number; next: string | null }>;
  get(id: string): Promise<MessageDetailsLike | null>;
  blockedKeys(request?: { limit?: number; cursor?: string | null }): Promise<{ keys: readonly BlockedKeyLike[]; next: string | null }>;
  redrive(filter?: Omit<FilterLike, 'state'>, options?: { batchSize?: number; limit?: number; position?: 'keep' | 'end' }): Promise<number>;
  discard(filter?: Omit<FilterLike, 'state'>, options?: { batchSize?: number; limit?: number }): Promise<number>;
}

/** What a store's `stats()` answers, where it has one. */
export interface StatsLike {
  readonly pending: number;
  readonly due: number;
  readonly delayed: number;
  /** Null where the store cannot tell (claims held by row locks). */
  readonly inFlight: number | null;
  readonly dead: number;
  /** Age of the oldest due message. */
  readonly lagMs: number;
}

export interface DashboardStore {
  readonly key: { readonly kind: string; readonly name: string };
  readonly query?: QueriesLike;
  stats?(): Promise<StatsLike>;
  requeueDeadLetters(ids: readonly string[]): Promise<number>;
  discardDeadLetters(ids: readonly string[]): Promise<number>;
}

export interface ScheduleLike {
  readonly name: string;
  readonly cron: string;
  readonly timezone: string | null;
  readonly topic: string;
  readonly nextRunAt: Date;
}

export interface SchedulesLike {
  list(): Promise<readonly ScheduleLike[]>;
}

export interface RelayLike {
  readonly running: boolean;
}

/** The relay events the dashboard counts (a subset of txbox's RelayEvent). */
export type RelayEventLike =
  | { type: 'batch.settled'; key: { kind: string; name: string }; delivered: number; failed: number; dead: number }
  | { type: 'schedule.fired'; key: { kind: string; name: string }; name: string; scheduledFor: Date }
  | { type: string; key: { kind: string; name: string } };
