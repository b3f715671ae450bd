import { invalidArgument } from '../../core/errors.js';

/**
 * The few driver methods the PostgreSQL store calls, as structural types: a `pg` Pool or
 * PoolClient and a PGlite instance or transaction all fit, and txbox imports neither.
 */
export interface PgResultLike {
  // Rows come back as the driver decodes them; the store reads them through fixed aliases.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  rows: any[];
}

export interface PgQueryable {
  query(text: string, values?: unknown[]): Promise<PgResultLike>;
}

/**
 * A query function bound to one open transaction, as an adapter (`txbox/typeorm`,
 * `txbox/prisma`...) makes it from its stack's transaction: the write seam. `inTransaction`
 * is what tells it, by type, from a pool, which has `query` too.
 */
export interface PgTransactionQuery extends PgQueryable {
  readonly inTransaction: true;
}

/** What `send()` takes: a `pg.PoolClient` in a transaction, or an adapter's handle. */
export type PgTransaction = PgClientLike | PgTransactionQuery;

/** A connection checked out of a pool: `pg.PoolClient`. */
export interface PgClientLike extends PgQueryable {
  release(destroy?: boolean | Error): void;
  on(event: 'notification', listener: (message: { channel: string; payload?: string }) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  removeListener?(event: 'error', listener: (error: Error) => void): unknown;
  removeListener?(event: 'notification', listener: (message: { channel: string; payload?: string }) => void): unknown;
  removeAllListeners?(event?: string): unknown;
}

/** `pg.Pool`. */
export interface PgPoolLike extends PgQueryable {
  connect(): Promise<PgClientLike>;
}

/**
 * The client type a pool's `connect()` resolves to (`pg.PoolClient` for a `pg.Pool`): what
 * `store.transaction(fn)` passes to `fn`. pg declares `connect` twice and a conditional type
 * sees only the last declaration, the callback form, so the client is read from its callback;
 * a pool with the promise form alone is read from that.
 */
export type PgClientOf<P> = P extends { connect(callback: (err: never, client: infer C, ...rest: never[]) => void): void }
  ? unknown extends C
    ? PromisedClient<P>
    : NonNullable<C>
  : PromisedClient<P>;
type PromisedClient<P> = P extends { connect(): Promise<infer C> } ? C : PgClientLike;

/** Runs a multi-statement script: PGlite needs `exec`, pg's simple query protocol takes it as is. */
export async function runScript(db: PgQueryable & { exec?: (sql: string) => Promise<unknown> }, sql: string): Promise<void> {
  if (typeof db.exec === 'function') await db.exec(sql);
  else await db.query(sql);
}

export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown })?.code === '23505';
}

/**
 * Refuses a handle on which each statement would commit on its own, so a message would be
 * stored even if the caller's transaction rolled back: a `pg.Pool` (it has `connect` and the
 * `totalCount` gauge, and no `release`, unlike a PoolClient), the store's own pool, or a PGlite
 * instance outside a transaction (PGlite knows whether one is open; a BEGIN made by hand counts).
 */
export function checkTransactionHandle(tx: unknown, pool: unknown, field = 'tx'): void {
  const t = tx as { connect?: unknown; totalCount?: unknown; release?: unknown; isInTransaction?: () => boolean } | null;
  if (typeof t?.isInTransaction === 'function') {
    if (t.isInTransaction()) return;
    throw invalidArgument(field, tx, 'must be a PGlite transaction (db.transaction(tx => ...)); this handle has no transaction open');
  }
  if (tx === pool || (typeof t?.connect === 'function' && typeof t.totalCount === 'number' && typeof t.release !== 'function')) {
    throw invalidArgument(field, tx, 'must be a client in a transaction (const client = await pool.connect(); BEGIN), not a pool, on which each statement commits on its own');
  }
}

/** The PostgreSQL error for a missing table (`42P01 undefined_table`). */
export function isUndefinedTable(error: unknown): boolean {
  return (error as { code?: unknown })?.code === '42P01';
}
