import type { InboxStore, OutboxStore, ScheduleStore } from '../../src/core/index.js';

/** A database prepared for in-process consumers, with a counter table for effects. */
export interface ConsumersUnderTest {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  store: OutboxStore<any> & { transaction: any };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  inbox: InboxStore<any>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  schedules: ScheduleStore<any>;
  /** Writes in a committed transaction; `fn` is synchronous for synchronous drivers. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  write(fn: (tx: any) => unknown): Promise<void>;
  /** Adds one to counter `name` in `tx` (synchronously where the driver is). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  bump(tx: any, name: string): Promise<void> | void;
  counter(name: string): Promise<number>;
}

export interface ConsumersHarness {
  readonly name: string;
  /** Handlers may await (false for better-sqlite3, whose transactions are synchronous). */
  readonly asyncHandlers: boolean;
  /** Several transactions can be open at once (not on PGlite's single connection). */
  readonly parallelTransactions: boolean;
  create(): Promise<ConsumersUnderTest>;
  close(): Promise<void>;
}
