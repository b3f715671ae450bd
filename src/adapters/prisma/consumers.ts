import type { TransactionRunner } from '../../consumers/dispatch.js';
import { invalidArgument } from '../../core/errors.js';
import { asyncRunner, type WakesRelays } from '../shared/runner.js';
import { fromPrisma, fromPrismaMysql, type PrismaMysqlTransaction, type PrismaPgTransaction, type PrismaTransactionClient } from './prisma.js';

/** Prisma's interactive-transaction options (`prisma.$transaction(fn, options)`). */
export interface PrismaTransactionOptions {
  maxWait?: number;
  /** Prisma's default is 5 s: give it at least the consumers' `timeoutMs` (default 10 s). */
  timeout?: number;
}

/**
 * A PrismaClient, as far as the runner uses it: the callback form of `$transaction`. Its
 * callback's parameter is the transaction client type the handlers get (the generated one,
 * with the models on it): Prisma declares that form last, which is the one `infer` reads.
 */
export interface PrismaClientLike<C extends PrismaTransactionClient> {
  $transaction<R>(fn: (tx: C) => Promise<R>, options?: PrismaTransactionOptions): PromiseLike<R>;
}

/**
 * Runs in-process consumers' handlers in Prisma interactive transactions on PostgreSQL:
 * `ctx.tx.prisma` is the transaction client, models and all, so a handler's rows, its inbox row
 * and what it publishes commit together. `createConsumers({ ..., transaction: prismaTransactions(prisma, store) })`.
 */
export function prismaTransactions<C extends PrismaTransactionClient>(prisma: PrismaClientLike<C>, store?: WakesRelays, options?: PrismaTransactionOptions): TransactionRunner<PrismaPgTransaction<C>> {
  checkClient(prisma, 'prismaTransactions');
  return asyncRunner(async (fn) => prisma.$transaction(fn, options), (tx: C) => fromPrisma(tx), store);
}

/** The same on MySQL or MariaDB (`@prisma/adapter-mariadb`). */
export function prismaMysqlTransactions<C extends PrismaTransactionClient>(prisma: PrismaClientLike<C>, store?: WakesRelays, options?: PrismaTransactionOptions): TransactionRunner<PrismaMysqlTransaction<C>> {
  checkClient(prisma, 'prismaMysqlTransactions');
  return asyncRunner(async (fn) => prisma.$transaction(fn, options), (tx: C) => fromPrismaMysql(tx), store);
}

function checkClient(prisma: unknown, fn: string): void {
  if (typeof (prisma as { $transaction?: unknown } | null)?.$transaction !== 'function') {
    throw invalidArgument('prisma', prisma, `must be a PrismaClient for ${fn}`);
  }
}
