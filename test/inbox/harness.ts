import type { InboxStore, OutboxStore } from '../../src/core/index.js';

/** One database with an inbox table, an outbox table and a counter table for effects. */
export interface InboxUnderTest {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  inbox: InboxStore<any>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  outbox: OutboxStore<any>;
  /** Runs `fn` in a transaction of its own connection: committed if it resolves, rolled back if it throws. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  run<T>(fn: (tx: any) => Promise<T>): Promise<T>;
  /** The counted effect: adds one to counter `name` inside `tx`. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  bump(tx: any, name: string): Promise<void>;
  counter(name: string): Promise<number>;
  /** Makes every inbox row `ms` older. */
  age(ms: number): Promise<void>;
}

export interface InboxHarness {
  readonly name: string;
  create(): Promise<InboxUnderTest>;
  close(): Promise<void>;
}
