import type postgres from 'postgres';
import { invalidArgument } from '../../core/errors.js';
import type { PgQueryable, PgTransactionQuery } from '../../stores/postgres/driver.js';

// Whatever custom types the application registered, txbox passes plain values.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type PostgresJsTransaction = postgres.TransactionSql<any>;

/** The one postgres.js method txbox calls: its statements carry their own `$n` parameters. */
export interface PostgresJsQueryable {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  unsafe(query: string, parameters?: any[], options?: { prepare?: boolean }): PromiseLike<any>;
}

/**
 * postgres.js types an array parameter by its first element, so `[true]` goes out typed boolean,
 * not boolean[] (42846 cannot cast), and Dates likewise. Such arrays travel as an array literal,
 * typed by the statement's own cast (`$5::boolean[]`); others are typed by the server.
 * A Date is sent as its ISO text, which the server reads as the timestamptz it is.
 */
const typedByElement = (e: unknown) => typeof e === 'boolean' || typeof e === 'bigint' || e instanceof Date;
const element = (e: unknown) => (e === null || e === undefined ? 'NULL' : typeof e === 'boolean' ? (e ? 't' : 'f') : e instanceof Date ? `"${e.toISOString()}"` : String(e));
function plain(value: unknown): unknown {
  // A Date goes as text too: Drizzle's postgres.js client turns the date serializers off.
  if (value instanceof Date) return value.toISOString();
  return Array.isArray(value) && value.some(typedByElement) ? `{${value.map(element).join(',')}}` : value;
}

/** Runs txbox's SQL on a postgres.js connection (`sql`, a reserved connection or a transaction). */
export function postgresJsQuery(sql: PostgresJsQueryable): PgQueryable['query'] {
  return async (text, values) => {
    // Prepared (and kept per connection, as postgres.js does for its tagged templates): an
    // unprepared statement with parameters costs a round trip of its own to describe them first.
    // A postgres() made with `prepare: false` (a transaction pooler) still prepares nothing.
    const rows = await sql.unsafe(text, values?.map(plain), { prepare: true });
    return { rows };
  };
}

/**
 * A postgres.js transaction (`sql.begin(async (tx) => ...)`, or a savepoint inside it) for
 * `send()`. Refuses the root `sql`, and a reserved connection, before anything is written: on
 * them each statement commits on its own (only `begin` gives a handle with `savepoint`).
 */
export function fromPostgresJs(tx: PostgresJsTransaction): PgTransactionQuery {
  const t = tx as unknown as { unsafe?: unknown; savepoint?: unknown; begin?: unknown; release?: unknown } | null;
  if (typeof t?.unsafe !== 'function') {
    throw invalidArgument('tx', tx, 'must be a postgres.js transaction (sql.begin(async (tx) => ...)), not something else');
  }
  if (typeof t.savepoint !== 'function') {
    const what = typeof t.begin === 'function' ? 'the root sql instance' : typeof t.release === 'function' ? 'a reserved connection' : 'not a transaction';
    throw invalidArgument('tx', tx, `must be a postgres.js transaction (sql.begin(async (tx) => ...)); this is ${what}, on which each statement commits on its own`);
  }
  return { inTransaction: true, query: postgresJsQuery(tx) };
}
