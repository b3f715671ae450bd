import type { DataSource, EntityManager } from 'typeorm';
import type { TransactionRunner } from '../../consumers/dispatch.js';
import type { WakeChannel } from '../../core/wake.js';
import { fromTypeOrm, fromTypeOrmMysql, type TypeOrmMysqlTransaction, type TypeOrmPgTransaction } from './typeorm.js';

/**
 * Runs in-process consumers' handlers in TypeORM transactions: `ctx.tx.manager` is the
 * transaction's EntityManager, so a handler's business rows, its inbox row and what it
 * publishes commit together. `createConsumers({ ..., transaction: typeOrmTransactions(dataSource, store) })`.
 * After each commit the store's relays in this process are woken, as `store.transaction()` does.
 */
export function typeOrmTransactions(dataSource: DataSource, store?: { readonly wakes: WakeChannel }): TransactionRunner<TypeOrmPgTransaction> {
  return runner(dataSource, fromTypeOrm, store);
}

/** The same on MySQL or MariaDB. */
export function typeOrmMysqlTransactions(dataSource: DataSource, store?: { readonly wakes: WakeChannel }): TransactionRunner<TypeOrmMysqlTransaction> {
  return runner(dataSource, fromTypeOrmMysql, store);
}

function runner<Tx>(dataSource: DataSource, adapt: (manager: EntityManager) => Tx, store: { readonly wakes: WakeChannel } | undefined): TransactionRunner<Tx> {
  return {
    mode: 'async',
    async run(fn) {
      const result = await dataSource.transaction((manager) => fn(adapt(manager)));
      store?.wakes.nudge();
      return result;
    },
  };
}
