import type { EntityManager, QueryRunner } from 'typeorm';
import { TxboxError } from '../../core/errors.js';
import type { MysqlTransactionQuery } from '../../stores/mysql/driver.js';
import type { PgTransactionQuery } from '../../stores/postgres/driver.js';

/** The handle `send()` takes on PostgreSQL, with the manager it came from (for a handler's own writes). */
export interface TypeOrmPgTransaction extends PgTransactionQuery {
  readonly manager: EntityManager;
}

/** The handle `send()` takes on MySQL or MariaDB, with the manager it came from. */
export interface TypeOrmMysqlTransaction extends MysqlTransactionQuery {
  readonly manager: EntityManager;
}

/**
 * The TypeORM seam: txbox's statements run on the query runner of the caller's transaction.
 *
 * `manager.query()` is not used: on PostgreSQL it answers UPDATE and DELETE with
 * `[rows, count]`, so txbox would count two "rows" for a debounce that replaced none (and the
 * INSERT that follows fails with DUPLICATE_ID). The runner's structured result has the rows
 * as they are (`records`) and the driver's own answer (`raw`, the mysql2 result header).
 */
export function fromTypeOrm(manager: EntityManager): TypeOrmPgTransaction {
  const runner = transactionRunner(manager, 'postgres', 'fromTypeOrm');
  return {
    inTransaction: true,
    manager,
    query: async (text, values) => ({ rows: (await active(runner).query(text, values, true)).records }),
  };
}

/** The same for TypeORM on MySQL or MariaDB (the `mysql` and `mariadb` data source types, mysql2 driver). */
export function fromTypeOrmMysql(manager: EntityManager): TypeOrmMysqlTransaction {
  const runner = transactionRunner(manager, 'mysql', 'fromTypeOrmMysql');
  return {
    inTransaction: true,
    manager,
    query: async (sql, values) => [(await active(runner).query(sql, values, true)).raw],
  };
}

const DIALECTS: Record<'postgres' | 'mysql', readonly string[]> = { postgres: ['postgres'], mysql: ['mysql', 'mariadb'] };

/**
 * The manager's query runner, refused unless a transaction is open on it: a DataSource, its
 * root `dataSource.manager` (no runner of its own) or a released runner would run each
 * statement in autocommit, so a message would survive the caller's rollback.
 */
function transactionRunner(manager: EntityManager, dialect: 'postgres' | 'mysql', fn: string): QueryRunner {
  const m = manager as Partial<EntityManager> | null | undefined;
  const dataSource = m?.dataSource ?? m?.connection;
  if (!dataSource || typeof m?.transaction !== 'function') throw refused(manager, `the EntityManager of a transaction, got ${what(manager)}`);
  const type = String(dataSource.options?.type);
  if (!DIALECTS[dialect].includes(type)) {
    const other = dialect === 'postgres' ? 'fromTypeOrmMysql' : 'fromTypeOrm';
    throw refused(manager, `a manager of a ${dialect === 'postgres' ? 'PostgreSQL' : 'MySQL or MariaDB'} data source for ${fn}, got one of type ${JSON.stringify(type)} (see ${other})`);
  }
  const runner = m.queryRunner;
  if (!runner || !runner.isTransactionActive || runner.isReleased) {
    const got = runner ? 'a manager whose transaction has ended' : 'a manager with no transaction of its own (like dataSource.manager)';
    throw refused(manager, `the EntityManager of an open transaction, got ${got}, on which each statement commits on its own`);
  }
  return runner;
}

/** Checked again at each statement: after COMMIT a kept runner would write in autocommit. */
function active(runner: QueryRunner): QueryRunner {
  if (runner.isTransactionActive && !runner.isReleased) return runner;
  throw new TxboxError('INVALID_ARGUMENT', 'tx is a TypeORM transaction that has ended: send() must run inside dataSource.transaction(async (manager) => ...)', { field: 'tx' });
}

function refused(value: unknown, expected: string): TxboxError {
  return new TxboxError('INVALID_ARGUMENT', `tx must be ${expected}; pass the manager that dataSource.transaction(async (manager) => ...) gives`, { field: 'tx', value });
}

function what(value: unknown): string {
  const name = (value as { constructor?: { name?: unknown } } | null | undefined)?.constructor?.name;
  return typeof name === 'string' && name !== 'Object' ? `a ${name}` : String(value === null || typeof value !== 'object' ? value : 'an object');
}
