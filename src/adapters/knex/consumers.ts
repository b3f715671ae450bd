import type { Knex } from 'knex';
import type { TransactionRunner } from '../../consumers/dispatch.js';
import { invalidArgument } from '../../core/errors.js';
import { asyncRunner, type WakesRelays } from '../shared/runner.js';
import { fromKnex, fromKnexMysql, type KnexMysqlTransaction, type KnexPgTransaction } from './knex.js';

/**
 * Runs in-process consumers' handlers in Knex transactions on PostgreSQL: `ctx.tx.trx` is the
 * handler's `Knex.Transaction`, so its business rows, its inbox row and what it publishes commit
 * together. `createConsumers({ ..., transaction: knexTransactions(knex, store) })`.
 */
export function knexTransactions(knex: Knex, store?: WakesRelays): TransactionRunner<KnexPgTransaction> {
  checkKnex(knex, 'knexTransactions');
  return asyncRunner((fn) => knex.transaction(fn), fromKnex, store);
}

/** The same on MySQL or MariaDB (client `mysql2`). */
export function knexMysqlTransactions(knex: Knex, store?: WakesRelays): TransactionRunner<KnexMysqlTransaction> {
  checkKnex(knex, 'knexMysqlTransactions');
  return asyncRunner((fn) => knex.transaction(fn), fromKnexMysql, store);
}

function checkKnex(knex: Knex, fn: string): void {
  if (typeof (knex as { transaction?: unknown } | null)?.transaction !== 'function') throw invalidArgument('knex', knex, `must be a knex instance for ${fn}`);
}
