import type { EntityManager } from '@mikro-orm/core';
import { TxboxError } from '../../core/errors.js';
import type { MysqlTransactionQuery } from '../../stores/mysql/driver.js';
import type { PgTransactionQuery } from '../../stores/postgres/driver.js';

/** The part of the knex transaction behind a MikroORM 6 SQL transaction that txbox uses. */
interface KnexTransactionLike {
  raw(sql: string, bindings: readonly unknown[]): PromiseLike<unknown>;
  /** Knex: true once the transaction committed or rolled back. */
  isCompleted?(): boolean;
  readonly client?: { readonly dialect?: unknown };
}

/** The handle `send()` takes on PostgreSQL, with the transaction's EntityManager (for a handler's own writes). */
export interface MikroOrmPgTransaction<E extends EntityManager = EntityManager> extends PgTransactionQuery {
  readonly em: E;
}

/** The handle `send()` takes on MySQL or MariaDB, with the transaction's EntityManager. */
export interface MikroOrmMysqlTransaction<E extends EntityManager = EntityManager> extends MysqlTransactionQuery {
  readonly em: E;
}

/**
 * The MikroORM seam: txbox's statements run on the knex transaction of the caller's
 * `em.transactional(async (em) => ...)`, bound by the server like the ORM's own queries.
 * (`em.getConnection().execute()` would inline the values into the SQL text itself.)
 */
export function fromMikroOrm<E extends EntityManager>(em: E): MikroOrmPgTransaction<E> {
  const trx = transactionOf(em, 'postgresql', 'fromMikroOrm');
  return {
    inTransaction: true,
    em,
    query: async (text, values = []) => ({ rows: ((await open(trx).raw(...positional(text, values))) as { rows: unknown[] }).rows }),
  };
}

/** The same for MikroORM on MySQL or MariaDB (`@mikro-orm/mysql`, mysql2): knex answers the mysql2 way. */
export function fromMikroOrmMysql<E extends EntityManager>(em: E): MikroOrmMysqlTransaction<E> {
  const trx = transactionOf(em, 'mysql', 'fromMikroOrmMysql');
  return {
    inTransaction: true,
    em,
    query: async (sql, values = []) => [((await open(trx).raw(sql, values)) as [unknown])[0]],
  };
}

/**
 * Knex binds `?` in order; txbox's PostgreSQL statements use `$n`, not always in order (the
 * debounce UPDATE starts at `$2`), and may repeat one. So each `$n` becomes `?` with its value
 * at that place, and a literal `?` is escaped. txbox's write statements hold no `$n` or `?` in
 * a string literal, which is all this must know.
 */
function positional(text: string, values: readonly unknown[]): [string, unknown[]] {
  const bound: unknown[] = [];
  const sql = text.replace(/\$(\d+)|\?/g, (_, n: string | undefined) => {
    if (n === undefined) return '\\?';
    bound.push(values[Number(n) - 1]);
    return '?';
  });
  return [sql, bound];
}

const DIALECTS = { postgresql: ['postgresql', 'pg'], mysql: ['mysql', 'mysql2'] } as const;

/**
 * The knex transaction of `em`, refused unless one is open: the root `orm.em` or a fork outside
 * `transactional()` would run each statement in autocommit, so a message would survive the
 * caller's rollback.
 */
function transactionOf(em: EntityManager, dialect: keyof typeof DIALECTS, fn: string): KnexTransactionLike {
  const e = em as Partial<EntityManager> | null | undefined;
  if (typeof e?.isInTransaction !== 'function' || typeof e.getTransactionContext !== 'function') {
    throw refused(em, `the EntityManager of a transaction, got ${what(em)}`);
  }
  const trx = e.isInTransaction() ? e.getTransactionContext<KnexTransactionLike & object>() : undefined;
  if (typeof trx?.raw !== 'function' || trx.isCompleted?.() === true) {
    throw refused(em, `the EntityManager of an open transaction, got ${what(em)} with none open (like the root orm.em, or one kept after its transaction ended), on which each statement commits on its own`);
  }
  const got = String(trx.client?.dialect);
  if (!(DIALECTS[dialect] as readonly string[]).includes(got)) {
    const other = dialect === 'postgresql' ? 'fromMikroOrmMysql' : 'fromMikroOrm';
    throw refused(em, `an EntityManager on ${dialect === 'postgresql' ? 'PostgreSQL' : 'MySQL or MariaDB'} for ${fn}, got one on ${JSON.stringify(got)} (see ${other})`);
  }
  return trx;
}

/** Checked again at each statement, so a handle kept past its transaction fails typed. */
function open(trx: KnexTransactionLike): KnexTransactionLike {
  if (trx.isCompleted?.() !== true) return trx;
  throw new TxboxError('INVALID_ARGUMENT', 'tx is a MikroORM transaction that has ended: send() must run inside em.transactional(async (em) => ...)', { field: 'tx' });
}

function refused(value: unknown, expected: string): TxboxError {
  return new TxboxError('INVALID_ARGUMENT', `tx must be ${expected}; pass the em that em.transactional(async (em) => ...) gives`, { field: 'tx', value });
}

function what(value: unknown): string {
  const name = (value as { constructor?: { name?: unknown } } | null | undefined)?.constructor?.name;
  return typeof name === 'string' && name !== 'Object' ? `a ${name}` : String(value === null || typeof value !== 'object' ? value : 'an object');
}
