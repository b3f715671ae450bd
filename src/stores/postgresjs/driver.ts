import type { PgClientLike, PgTransaction } from '../postgres/driver.js';
import type { PgConnectionSource } from '../postgres/store.js';
import { fromPostgresJs, postgresJsQuery, type PostgresJsQueryable, type PostgresJsTransaction } from '../../adapters/postgresjs/postgresjs.js';

/** The postgres.js methods the store calls (a `postgres(...)` instance), as structural types. */
export interface PostgresJsLike extends PostgresJsQueryable {
  reserve(): Promise<PostgresJsQueryable & { release(): void }>;
  begin<T>(fn: (tx: PostgresJsTransaction) => Promise<T>): Promise<T>;
  listen(channel: string, onNotify: (payload: string) => void): Promise<{ unlisten(): Promise<void> }>;
  readonly options?: { transform?: { column?: { from?: unknown } } };
}

/**
 * The connection under a reserved sql is gone: postgres.js put it back among its closed ones
 * itself and will reconnect it. Its own errors (CONNECTION_CLOSED...) and a failed write to a
 * socket it already dropped carry no server severity; a FATAL one ends the session.
 */
function connectionLost(error: unknown): boolean {
  const severity = (error as { severity?: unknown } | null)?.severity;
  return severity === undefined || severity === 'FATAL' || severity === 'PANIC';
}

/**
 * A reserved connection as the PostgreSQL store's pooled client. Released broken (`destroy`),
 * it may still be inside the claim's transaction: rolled back first, so the next user of the
 * connection does not inherit it. A lost connection is never released: postgres.js would put
 * the dead connection among its open ones and hand it out again.
 */
function reservedClient(conn: PostgresJsQueryable & { release(): void }): PgClientLike {
  let lost = false;
  const run = postgresJsQuery(conn);
  const query: PgClientLike['query'] = async (text, values) => {
    try {
      return await run(text, values);
    } catch (error) {
      lost ||= connectionLost(error);
      throw error;
    }
  };
  const client: PgClientLike = {
    query,
    release(destroy) {
      if (lost) return;
      if (!destroy) return conn.release();
      void query('ROLLBACK').then(
        () => conn.release(),
        () => lost || conn.release(),
      );
    },
    // postgres.js reports a lost connection on the next query, not as an event.
    on: () => client,
  };
  return client;
}

/** postgres.js as the PostgreSQL store's connection source: queries, reserved connections, LISTEN. */
export function connectionSource(sql: PostgresJsLike): PgConnectionSource {
  return { query: postgresJsQuery(sql), connect: async () => reservedClient(await sql.reserve()) };
}

/** The store takes the postgres.js transaction itself, or an adapter's handle. */
export function toQueryable(tx: PostgresJsTransaction | PgTransaction): PgTransaction {
  return typeof (tx as { query?: unknown }).query === 'function' ? (tx as PgTransaction) : fromPostgresJs(tx as PostgresJsTransaction);
}
