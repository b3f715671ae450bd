import type { ClaimedBatch, OutboxMessage, ProduceContext, ProduceResult } from '../../src/core/index.js';
import type { AnyStore } from './targets.js';
import type { Failpoints } from './failpoints.js';

/**
 * Failpoints are woven in from outside the library: around the driver handle the store is given,
 * around the store, and around the producer. No library code knows about them.
 */

type Query = (text: string, values?: unknown[]) => Promise<{ rows: { id?: unknown; position?: unknown }[] }>;
const claimedIds = (rows: { id?: unknown; position?: unknown }[] | undefined) =>
  (rows ?? []).filter((r) => r.position !== null && r.position !== undefined && r.id !== undefined).map((r) => String(r.id));

/**
 * A pg Pool whose queries fire `claim.after` once the claim statement has run on the server (a
 * throw there is an answer lost on the way back) and `settle.before-commit` just before the
 * acknowledgement commits: the COMMIT of a lock-mode claim, or the lease-mode settle statement.
 * Which statement is which comes from the store wrapper (`activity`), not from the SQL text.
 */
export function wrapPgPool<P extends { query: Query; connect(): Promise<unknown> }>(pool: P, fp: Failpoints, activity: StoreActivity): P {
  const wrapQuery = (inner: Query, lockClient: boolean): Query => {
    return async (text, values) => {
      if (activity.settling && (lockClient ? text === 'COMMIT' : true)) fp.reach('settle.before-commit', { ids: activity.settling });
      const result = await inner(text, values);
      if (activity.claiming) {
        const ids = claimedIds(result?.rows);
        if (ids.length > 0) fp.reach('claim.after', { ids });
      }
      return result;
    };
  };
  const poolQuery = wrapQuery(pool.query.bind(pool), false);
  return new Proxy(pool, {
    get(target, prop) {
      if (prop === 'query') return poolQuery;
      if (prop === 'connect') {
        return async () => {
          const client = (await target.connect()) as { query: Query };
          const query = wrapQuery(client.query.bind(client), true);
          return new Proxy(client, {
            get: (c, p) => (p === 'query' ? query : bound(c, p)),
          });
        };
      }
      return bound(target, prop);
    },
  });
}

function bound(target: object, prop: string | symbol): unknown {
  const value = Reflect.get(target, prop, target);
  return typeof value === 'function' ? value.bind(target) : value;
}

/**
 * A better-sqlite3 handle whose acknowledging transaction fires `settle.before-commit` after its
 * statements ran and before it commits (the store's settle is one synchronous transaction).
 */
export function wrapSqlite<D extends { transaction: (fn: () => unknown) => unknown }>(db: D, fp: Failpoints, activity: StoreActivity): D {
  return new Proxy(db, {
    get(target, prop) {
      if (prop !== 'transaction') return bound(target, prop);
      return (fn: () => unknown) =>
        target.transaction(() => {
          const result = fn();
          if (activity.settling) fp.reach('settle.before-commit', { ids: activity.settling });
          return result;
        });
    },
  });
}

/** What the store is doing right now, for the driver wrappers (relays here run one claim loop). */
export interface StoreActivity {
  claiming: boolean;
  /** The ids of the batch being acknowledged. */
  settling: string[] | undefined;
}

/**
 * Store-level failpoints: `claim.after` and `settle.before-commit` for stores without a driver
 * wrapper. It also tells the driver wrappers which batch is being acknowledged.
 */
export function wrapStore(store: AnyStore, fp: Failpoints, o: { claimPoint: boolean; settlePoint: boolean; activity: StoreActivity }): AnyStore {
  const wrapped: AnyStore = Object.create(store) as AnyStore;
  Object.assign(wrapped, {
    async claim(request: Parameters<AnyStore['claim']>[0]) {
      o.activity.claiming = true;
      let batch;
      try {
        batch = await store.claim(request);
      } finally {
        o.activity.claiming = false;
      }
      if (o.claimPoint && batch && batch.messages.length > 0) fp.reach('claim.after', { ids: batch.messages.map((m) => m.id) });
      return batch;
    },
    async settle(batch: ClaimedBatch, settlement: Parameters<AnyStore['settle']>[1]) {
      const ids = batch.messages.map((m) => m.id);
      if (o.settlePoint) fp.reach('settle.before-commit', { ids });
      o.activity.settling = ids;
      try {
        return await store.settle(batch, settlement);
      } finally {
        o.activity.settling = undefined;
      }
    },
  });
  return wrapped;
}

type Produce = (messages: readonly OutboxMessage[], context: ProduceContext) => Promise<ProduceResult | void>;

/** `produce.after-publish`: the sink has the batch, the outbox does not know yet. */
export function wrapProducer(produce: Produce, fp: Failpoints): Produce {
  return async (messages, context) => {
    const result = await produce(messages, context);
    fp.reach('produce.after-publish', { ids: messages.map((m) => m.id) });
    return result;
  };
}
