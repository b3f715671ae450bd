import type { EntityManager } from '@mikro-orm/core';
import type { TransactionRunner } from '../../consumers/dispatch.js';
import { invalidArgument } from '../../core/errors.js';
import { asyncRunner, type WakesRelays } from '../shared/runner.js';
import { fromMikroOrm, fromMikroOrmMysql, type MikroOrmMysqlTransaction, type MikroOrmPgTransaction } from './mikro-orm.js';

/**
 * Runs in-process consumers' handlers in MikroORM transactions on PostgreSQL: `ctx.tx.em` is the
 * transaction's EntityManager (a fork of `em`, as `em.transactional` gives), so a handler's
 * entities, flushed when it returns, its inbox row and what it publishes commit together.
 * `createConsumers({ ..., transaction: mikroOrmTransactions(orm.em, store) })`.
 */
export function mikroOrmTransactions<E extends EntityManager>(em: E, store?: WakesRelays): TransactionRunner<MikroOrmPgTransaction<E>> {
  checkEm(em, 'mikroOrmTransactions');
  return asyncRunner((fn) => em.transactional(fn), (fork: E) => fromMikroOrm(fork), store);
}

/** The same on MySQL or MariaDB (`@mikro-orm/mysql`). */
export function mikroOrmMysqlTransactions<E extends EntityManager>(em: E, store?: WakesRelays): TransactionRunner<MikroOrmMysqlTransaction<E>> {
  checkEm(em, 'mikroOrmMysqlTransactions');
  return asyncRunner((fn) => em.transactional(fn), (fork: E) => fromMikroOrmMysql(fork), store);
}

function checkEm(em: EntityManager, fn: string): void {
  if (typeof (em as { transactional?: unknown } | null)?.transactional !== 'function') {
    throw invalidArgument('em', em, `must be a MikroORM EntityManager (orm.em) for ${fn}`);
  }
}
