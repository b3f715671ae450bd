import type pg from 'pg';
import { createOutbox, createRelay, parsePayload, uuidv7 } from '../../src/core/index.js';
import { insertOrderSql, makeStore, type BenchDatabase } from './pg.js';
import { rawInsertSql, startRawConsumer } from './raw.js';
import { inTransaction } from './writers.js';

/**
 * How a relay learns that a message was committed. Each mode pairs a writer with a consumer:
 * the hand-written loop (raw_*) or the txbox relay (txbox_*).
 */
export const WAKE_MODES = {
  raw_notify: 'hand-written: INSERT + pg_notify in the writer transaction, consumer LISTENs',
  raw_poll: 'hand-written: INSERT only, consumer polls every 1000 ms',
  txbox_watch: 'txbox: store notify: true (NOTIFY in send), relay LISTENs (watch)',
  txbox_nudge: 'txbox: store.transaction() nudges the relay in the same process after COMMIT',
  txbox_poll: 'txbox: no wake-up, relay polls (default pollIntervalMs 1000)',
  txbox_poll_100ms: 'txbox: no wake-up, relay polls every 100 ms',
} as const;
export type WakeMode = keyof typeof WAKE_MODES;

export interface WakeRig {
  /** Runs one whole business transaction (BEGIN ... COMMIT) carrying message `seq`. */
  write(seq: number): Promise<void>;
  writerPool: pg.Pool;
  stop(): Promise<void>;
}

/**
 * Builds writer + consumer for one mode on fresh tables. `delivered(seq)` is called when the
 * consumer's producer first sees message `seq`.
 */
export async function startWakeRig(db: BenchDatabase, mode: WakeMode, writers: number, delivered: (seq: number) => void): Promise<WakeRig> {
  const writerPool = db.pool(writers + 1);
  const relayPool = db.pool(4);
  const table = `wake_${mode}`;
  const orders = `orders_${mode}`;
  await writerPool.query(`DROP TABLE IF EXISTS ${table}, ${orders}`);
  await writerPool.query(`CREATE TABLE ${orders} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, customer text NOT NULL, amount numeric(12,2) NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`);
  const orderSql = insertOrderSql(orders);
  const order = (c: pg.PoolClient, seq: number) => c.query(orderSql, [`customer-${seq % 1000}`, 42.5]);
  const message = (seq: number) => ({ topic: 'order.created', key: `customer-${seq % 1000}`, payload: { seq, amount: 42.5 } });

  if (mode === 'raw_notify' || mode === 'raw_poll') {
    await makeStore(relayPool, table); // same DDL as txbox
    const channel = `${table}_wake`;
    const insert = rawInsertSql(table);
    const writeOn = (c: pg.PoolClient, seq: number) =>
      inTransaction(c, async () => {
        await order(c, seq);
        const m = message(seq);
        await c.query(insert, [uuidv7(), m.topic, m.key, Buffer.from(JSON.stringify(m.payload)), 'application/json']);
        if (mode === 'raw_notify') await c.query(`SELECT pg_notify('${channel}', '')`);
      });
    const stopConsumer = await startRawConsumer({
      pool: relayPool,
      table,
      batchSize: 500,
      channel: mode === 'raw_notify' ? channel : undefined,
      pollMs: 1000,
      produce: (rows) => rows.forEach((r) => delivered((JSON.parse(r.payload.toString()) as { seq: number }).seq)),
    });
    return { write: withClient(writerPool, writeOn), writerPool, stop: stopAll(db, [writerPool, relayPool], stopConsumer) };
  }

  const store = await makeStore(writerPool, table, { notify: mode === 'txbox_watch' });
  // The relay LISTENs only on a store that notifies.
  const relayStore = await makeStore(relayPool, table, { notify: mode === 'txbox_watch' });
  const outbox = createOutbox({ store });
  const relay = createRelay({
    // Its own pool, so claims never queue behind writers for a connection; in nudge mode it hears
    // the writer store's in-process wake channel, as one store shared by both would.
    store: mode === 'txbox_nudge' ? { ...relayStore, wakes: store.wakes } : relayStore,
    producer: (messages) => messages.forEach((m) => delivered(parsePayload<{ seq: number }>(m).seq)),
    watch: mode === 'txbox_watch',
    pollIntervalMs: mode === 'txbox_poll_100ms' ? 100 : undefined,
    // As the hand-written consumer: the modes then differ only in how the relay is woken.
    batchSize: 500,
  });
  relay.start();
  const writeOn = (c: pg.PoolClient, seq: number) =>
    inTransaction(c, async () => {
      await order(c, seq);
      await outbox.send(c, message(seq));
    });
  const viaStore = (seq: number) =>
    store.transaction(async (c) => {
      await order(c as pg.PoolClient, seq);
      await outbox.send(c, message(seq));
    });
  const write = mode === 'txbox_nudge' ? viaStore : withClient(writerPool, writeOn);
  return {
    write,
    writerPool,
    stop: stopAll(db, [writerPool, relayPool], () => relay.stop()),
  };
}

const withClient = (pool: pg.Pool, fn: (c: pg.PoolClient, seq: number) => Promise<void>) => async (seq: number) => {
  const c = await pool.connect();
  try {
    await fn(c, seq);
  } finally {
    c.release();
  }
};

const stopAll = (db: BenchDatabase, pools: pg.Pool[], stopConsumer: () => Promise<void>) => async () => {
  await stopConsumer();
  for (const p of pools) await db.close(p);
};
