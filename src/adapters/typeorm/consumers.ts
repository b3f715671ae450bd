import type { DataSource } from 'typeorm';
import type { TransactionRunner } from '../../consumers/dispatch.js';
import { asyncRunner, type WakesRelays } from '../shared/runner.js';
import { fromTypeOrm, fromTypeOrmMysql, type TypeOrmMysqlTransaction, type TypeOrmPgTransaction } from './typeorm.js';

/**
 * Runs in-process consumers' handlers in TypeORM transactions: `ctx.tx.manager` is the
 * transaction's EntityManager, so a handler's business rows, its inbox row and what it
 * publishes commit together. `createConsumers({ ..., transaction: typeOrmTransactions(dataSource, store) })`.
 * After each commit the store's relays in this process are woken, as `store.transaction()` does.
 */
export function typeOrmTransactions(dataSource: DataSource, store?: WakesRelays): TransactionRunner<TypeOrmPgTransaction> {
  return asyncRunner((fn) => dataSource.transaction(fn), fromTypeOrm, store);
}

/** The same on MySQL or MariaDB. */
export function typeOrmMysqlTransactions(dataSource: DataSource, store?: WakesRelays): TransactionRunner<TypeOrmMysqlTransaction> {
  return asyncRunner((fn) => dataSource.transaction(fn), fromTypeOrmMysql, store);
}
