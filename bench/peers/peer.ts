import type pg from 'pg';

/** The message body every peer carries: `seq` lets the latency workload match delivery to commit. */
export interface PeerPayload {
  seq: number;
  amount: number;
}

export type PeerVariant = 'defaults' | 'best';

/**
 * One job queue or outbox library measured beside txbox, driven through its documented API.
 * `enqueue` runs inside the caller's transaction, as the business write would.
 */
export interface Peer {
  readonly name: string;
  /** What each variant sets, for the report. */
  readonly variants: Record<PeerVariant, string>;
  setup(): Promise<void>;
  enqueue(client: pg.PoolClient, payload: PeerPayload): Promise<void>;
  /** Puts `n` pending jobs in place the fastest way the peer allows (not through enqueue). */
  bulkLoad(n: number): Promise<void>;
  /** Starts the peer's worker with a handler that only records the payload. Resolves to stop(). */
  consume(variant: PeerVariant, handle: (payload: PeerPayload) => void): Promise<() => Promise<void>>;
  /** Removes whatever a time-boxed run left pending, so the next run starts empty. */
  reset(): Promise<void>;
  close(): Promise<void>;
}
