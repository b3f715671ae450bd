import type { Knex } from 'knex';
import { invalidArgument } from '../../core/errors.js';
import type { MysqlTransactionQuery } from '../../stores/mysql/driver.js';
import type { PgTransactionQuery } from '../../stores/postgres/driver.js';

const FUNCTION: Record<string, string> = { postgresql: 'fromKnex', mysql: 'fromKnexMysql' };

/**
 * Refuses, before anything is written, what is not a Knex transaction on `want`: the root knex
 * instance runs each statement on some pooled connection in autocommit, so a message would
 * outlive the caller's rollback.
 */
function checkTransaction(trx: Knex.Transaction, want: 'postgresql' | 'mysql'): void {
  if (typeof (trx as { raw?: unknown } | null)?.raw !== 'function') {
    throw invalidArgument('tx', trx, 'must be a Knex transaction (knex.transaction(async (trx) => ...)), not something else');
  }
  if (trx.isTransaction !== true) {
    throw invalidArgument('tx', trx, 'must be a Knex transaction (knex.transaction(async (trx) => ...)); this is the root knex instance, on which each statement commits on its own');
  }
  const dialect = (trx.client as { dialect?: string } | undefined)?.dialect;
  if (dialect && dialect !== want) {
    throw invalidArgument('tx', trx, `is a Knex transaction on ${dialect}: ${FUNCTION[dialect] ? `use ${FUNCTION[dialect]}(trx)` : 'txbox/knex supports PostgreSQL and MySQL'}`);
  }
}

/**
 * txbox's PostgreSQL statements number their parameters (`$2` may come before `$1`, `$1` may
 * repeat); Knex's raw bindings are positional `?`. Each `$n` becomes a `?` bound to value n, and
 * a literal `?` is escaped so Knex leaves it alone.
 */
export function toKnexBindings(text: string, values: readonly unknown[] = []): { sql: string; bindings: unknown[] } {
  const bindings: unknown[] = [];
  const sql = text.replace(/\?/g, '\\?').replace(/\$(\d+)/g, (_, n: string) => {
    bindings.push(values[Number(n) - 1]);
    return '?';
  });
  return { sql, bindings };
}

/** The handle `send()` takes on PostgreSQL, with the Knex transaction it came from (for a handler's own writes). */
export interface KnexPgTransaction extends PgTransactionQuery {
  readonly trx: Knex.Transaction;
}

/** The handle `send()` takes on MySQL or MariaDB, with the Knex transaction it came from. */
export interface KnexMysqlTransaction extends MysqlTransactionQuery {
  readonly trx: Knex.Transaction;
}

/** A Knex transaction on PostgreSQL (client `pg`) for `send()`. */
export function fromKnex(trx: Knex.Transaction): KnexPgTransaction {
  checkTransaction(trx, 'postgresql');
  return {
    inTransaction: true,
    trx,
    async query(text, values) {
      const { sql, bindings } = toKnexBindings(text, values);
      const result = await trx.raw(sql, bindings as Knex.RawBinding[]);
      return { rows: result.rows };
    },
  };
}

/** A Knex transaction on MySQL or MariaDB (client `mysql2`) for `send()`: Knex answers raw queries the mysql2 way. */
export function fromKnexMysql(trx: Knex.Transaction): KnexMysqlTransaction {
  checkTransaction(trx, 'mysql');
  return { inTransaction: true, trx, query: async (sql, values = []) => (await trx.raw(sql, values as Knex.RawBinding[])) as [unknown, ...unknown[]] };
}
