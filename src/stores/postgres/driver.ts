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

/** Runs a multi-statement script: PGlite needs `exec`, pg's simple query protocol takes it as is. */
export async function runScript(db: PgQueryable & { exec?: (sql: string) => Promise<unknown> }, sql: string): Promise<void> {
  if (typeof db.exec === 'function') await db.exec(sql);
  else await db.query(sql);
}

export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown })?.code === '23505';
}
