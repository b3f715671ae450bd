import type { CompiledQuery, Kysely, QueryResult, Transaction } from 'kysely';
import { invalidArgument } from '../../core/errors.js';
import type { MysqlTransactionQuery } from '../../stores/mysql/driver.js';
import type { PgTransactionQuery } from '../../stores/postgres/driver.js';
import type { SqliteAsyncTransactionLike } from '../../stores/sqlite/driver.js';

export type Dialect = 'PostgreSQL' | 'MySQL' | 'SQLite';
const ADAPTERS: Record<string, Dialect> = { PostgresAdapter: 'PostgreSQL', MysqlAdapter: 'MySQL', SqliteAdapter: 'SQLite' };
const FUNCTION: Record<Dialect, string> = { PostgreSQL: 'fromKysely', MySQL: 'fromKyselyMysql', SQLite: 'fromKyselySqlite' };

/** Kysely's built-in dialect of `db` (subclasses count), or undefined for a third-party one. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function dialectOf(db: Kysely<any>): Dialect | undefined {
  for (let p = Object.getPrototypeOf(db.getExecutor().adapter); p; p = Object.getPrototypeOf(p)) {
    const found = ADAPTERS[(p.constructor as { name?: string })?.name ?? ''];
    if (found) return found;
  }
  return undefined;
}

/**
 * Refuses, before anything is written, what is not a Kysely transaction on `want`: the root
 * Kysely instance commits each statement on its own, so a message would outlive a rollback.
 * Plugins (CamelCasePlugin...) are set aside: txbox reads its rows by its own column aliases.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function executor(trx: Kysely<any>, want: Dialect) {
  if (typeof (trx as { executeQuery?: unknown } | null)?.executeQuery !== 'function') {
    throw invalidArgument('tx', trx, `must be a Kysely transaction (db.transaction().execute(async (trx) => ...)), not something else`);
  }
  if (trx.isTransaction !== true) {
    throw invalidArgument('tx', trx, 'must be a Kysely transaction (db.transaction().execute(async (trx) => ...)); this is the root Kysely instance, on which each statement commits on its own');
  }
  const dialect = dialectOf(trx);
  if (dialect && dialect !== want) throw invalidArgument('tx', trx, `is a Kysely transaction on ${dialect}: use ${FUNCTION[dialect]}(trx) from txbox/kysely`);
  const bare = trx.withoutPlugins();
  return (sql: string, parameters: readonly unknown[] = []): Promise<QueryResult<unknown>> => {
    // What CompiledQuery.raw builds, made here so txbox needs no runtime import of kysely.
    const query = { sql, parameters, query: { kind: 'RawNode', sqlFragments: [sql], parameters: [] }, queryId: { queryId: 'txbox' } };
    return bare.executeQuery(query as unknown as CompiledQuery<unknown>);
  };
}

/** The handle `send()` takes on PostgreSQL, with the Kysely transaction it came from (for a handler's own writes). */
export interface KyselyPgTransaction<DB> extends PgTransactionQuery {
  readonly trx: Transaction<DB>;
}

/** The handle `send()` takes on MySQL or MariaDB, with the Kysely transaction it came from. */
export interface KyselyMysqlTransaction<DB> extends MysqlTransactionQuery {
  readonly trx: Transaction<DB>;
}

/** A Kysely transaction on PostgreSQL (PostgresDialect, or a dialect built on its adapter) for `send()`. */
export function fromKysely<DB>(trx: Transaction<DB>): KyselyPgTransaction<DB> {
  const run = executor(trx, 'PostgreSQL');
  return { inTransaction: true, trx, query: async (text, values) => ({ rows: (await run(text, values)).rows }) };
}

/** A Kysely transaction on MySQL or MariaDB (MysqlDialect over mysql2) for `send()`. */
export function fromKyselyMysql<DB>(trx: Transaction<DB>): KyselyMysqlTransaction<DB> {
  const run = executor(trx, 'MySQL');
  return {
    inTransaction: true,
    trx,
    async query(text, values) {
      const r = await run(text, values);
      // mysql2 answers a write with a result header; Kysely turns it into numAffectedRows.
      return [r.numAffectedRows === undefined ? r.rows : { affectedRows: Number(r.numAffectedRows) }];
    },
  };
}

/** A Kysely transaction on SQLite (SqliteDialect over better-sqlite3) for `send()`: asynchronous, so no `sendSync`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any database schema
export function fromKyselySqlite(trx: Transaction<any>): SqliteAsyncTransactionLike {
  const run = executor(trx, 'SQLite');
  return { runAsync: async (text, params) => ({ changes: Number((await run(text, params)).numAffectedRows ?? 0) }) };
}
