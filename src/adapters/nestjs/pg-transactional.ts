import type { InjectionToken } from '@nestjs/common';
import { invalidOption } from '../../core/errors.js';
import type { PgClientLike, PgPoolLike } from '../../stores/postgres/driver.js';

export interface PgTransactionOptions {
  isolationLevel?: 'read committed' | 'repeatable read' | 'serializable';
  readOnly?: boolean;
}

type Work = (...args: unknown[]) => Promise<unknown>;

/** The shape `ClsPluginTransactional({ adapter })` takes, declared here so txbox depends on nothing. */
export interface PgTransactionalAdapter {
  readonly connectionToken: InjectionToken;
  readonly defaultTxOptions: Partial<PgTransactionOptions>;
  readonly supportsTransactionProxy: false;
  optionsFactory(pool: PgPoolLike): {
    wrapWithTransaction(options: PgTransactionOptions, fn: Work, setTx: (client?: PgClientLike | PgPoolLike) => void): Promise<unknown>;
    getFallbackInstance(): PgClientLike | PgPoolLike;
  };
}

/**
 * A `@nestjs-cls/transactional` adapter for a plain `pg.Pool` (none is published): each
 * transaction checks a client out of the pool registered under `connectionToken`, runs BEGIN,
 * and is the `TransactionHost.tx` the work and `txbox.send()` share. Outside a transaction,
 * `tx` is the pool, which the outbox refuses.
 */
export function pgTransactionalAdapter(options: { connectionToken: InjectionToken; defaultTxOptions?: PgTransactionOptions }): PgTransactionalAdapter {
  return {
    connectionToken: options.connectionToken,
    defaultTxOptions: options.defaultTxOptions ?? {},
    supportsTransactionProxy: false,
    optionsFactory: (pool) => ({
      async wrapWithTransaction(txOptions, fn, setTx) {
        const begin = beginStatement(txOptions);
        const client = await pool.connect();
        let broken: Error | undefined;
        try {
          await client.query(begin);
          setTx(client);
          const result = await fn();
          await client.query('COMMIT');
          return result;
        } catch (error) {
          // A client whose ROLLBACK failed is in an unknown state: destroy it rather than reuse it.
          await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
          throw error;
        } finally {
          client.release(broken);
        }
      },
      getFallbackInstance: () => pool,
    }),
  };
}

const ISOLATION_LEVELS = new Set(['read committed', 'repeatable read', 'serializable']);

function beginStatement(o: PgTransactionOptions = {}): string {
  const parts = ['BEGIN'];
  if (o.isolationLevel !== undefined) {
    // Interpolated into SQL, so only the three known levels get through.
    if (!ISOLATION_LEVELS.has(o.isolationLevel)) throw invalidOption('isolationLevel', o.isolationLevel, `must be one of ${[...ISOLATION_LEVELS].join(', ')}`);
    parts.push(`ISOLATION LEVEL ${o.isolationLevel.toUpperCase()}`);
  }
  if (o.readOnly) parts.push('READ ONLY');
  return parts.join(' ');
}
