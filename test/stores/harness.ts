import type { CompletionMode, OutboxStore } from '../../src/core/index.js';
import type { OutboxColumns } from '../../src/stores/shared/layout.js';

export interface HarnessOptions {
  table?: string;
  columns?: Partial<OutboxColumns>;
  completion?: CompletionMode;
  claimTimeoutMs?: number;
}

/** One store under test, plus what the suite needs to drive it from outside. */
export interface StoreUnderTest {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  store: OutboxStore<any>;
  /** Runs `fn` in a committed transaction of the store's own driver. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  commit(fn: (tx: any) => Promise<unknown> | unknown): Promise<unknown>;
  /** Runs `fn` in a transaction that is rolled back. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  rollback(fn: (tx: any) => Promise<unknown> | unknown): Promise<void>;
  /** The same table through a second, independent connection (another relay process would have one). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  second(): Promise<OutboxStore<any>>;
  /** Rows in the table, whatever their state. */
  rowCount(): Promise<number>;
}

export interface StoreHarness {
  readonly name: string;
  /** The store keeps its messages in an SQL table (so schemaSql and custom names apply). */
  readonly sql: boolean;
  /**
   * A debounce onto a message a claim holds waits for that claim to end (MySQL's lock mode: InnoDB
   * cannot tell a claim's row lock from another writer's), instead of taking the follower slot.
   */
  readonly debounceWaitsForHeldClaims?: boolean;
  create(options?: HarnessOptions): Promise<StoreUnderTest>;
  /** Drops everything the harness created. */
  close(): Promise<void>;
}
