import type { TransactionRunner } from '../../consumers/dispatch.js';
import type { WakeChannel } from '../../core/wake.js';

/** The store whose relays a runner wakes after each commit (`createPostgresStore(...)`, `createMysqlStore(...)`...). */
export interface WakesRelays {
  readonly wakes: WakeChannel;
}

/**
 * A runner for `createConsumers({ transaction })` from a stack's own "run `fn` in a transaction"
 * (`db.transaction().execute`, `knex.transaction`, `em.transactional`...): each handler gets
 * `adapt(handle)`, the stack's transaction as the write seam with the stack's handle on it.
 * After each commit the store's relays in this process are woken, as `store.transaction()`
 * does, so what a handler published is handled now, not at the next poll.
 */
export function asyncRunner<Handle, Tx>(
  transaction: <T>(fn: (handle: Handle) => Promise<T>) => Promise<T>,
  adapt: (handle: Handle) => Tx,
  store: WakesRelays | undefined,
): TransactionRunner<Tx> {
  return {
    mode: 'async',
    async run(fn) {
      const result = await transaction((handle) => fn(adapt(handle)));
      store?.wakes.nudge();
      return result;
    },
  };
}

/** The same for a stack whose transactions are synchronous calls (Drizzle on better-sqlite3). */
export function syncRunner<Handle, Tx>(transaction: <T>(fn: (handle: Handle) => T) => T, adapt: (handle: Handle) => Tx, store: WakesRelays | undefined): TransactionRunner<Tx> {
  return {
    mode: 'sync',
    run(fn) {
      const result = transaction((handle) => fn(adapt(handle)));
      store?.wakes.nudge();
      return result;
    },
  };
}
