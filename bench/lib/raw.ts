import type pg from 'pg';
import type { BenchDatabase } from './pg.js';
import type { DrainRun } from './relays.js';
import { rate } from './stats.js';
/**
 * The hand-written outbox: what an expert writes with no library, on a table made by the same
 * DDL as txbox's. These loops are the limit each txbox figure is divided by.
 */
export const rawInsertSql = (table: string) => `INSERT INTO ${table} (id, topic, key, payload, content_type) VALUES ($1, $2, $3, $4, $5)`;

export const rawClaimSql = (table: string) =>
  `SELECT position, id, topic, key, payload, content_type, headers, created_at, attempts FROM ${table}
   WHERE processed_at IS NULL AND dead_at IS NULL AND available_at <= now()
   ORDER BY position LIMIT $1 FOR UPDATE SKIP LOCKED`;

export const rawDeleteSql = (table: string) => `DELETE FROM ${table} WHERE position = ANY($1::bigint[])`;

export interface RawRow {
  position: string;
  id: string;
  topic: string;
  key: string | null;
  payload: Buffer;
  content_type: string;
}

/**
 * Claims one batch, hands it to `produce`, deletes it, commits. Returns how many rows it took.
 * `asyncCommit` applies by hand the trick txbox's relay uses: the DELETE commits without waiting
 * for its WAL flush.
 */
export async function rawDrainBatch(
  client: pg.PoolClient,
  table: string,
  limit: number,
  produce: (rows: RawRow[]) => Promise<void> | void,
  asyncCommit = false,
): Promise<number> {
  await client.query(asyncCommit ? 'BEGIN; SET LOCAL synchronous_commit = off' : 'BEGIN');
  try {
    const { rows } = await client.query(rawClaimSql(table), [limit]);
    if (rows.length > 0) {
      await produce(rows as RawRow[]);
      await client.query(rawDeleteSql(table), [rows.map((r) => r.position)]);
    }
    await client.query('COMMIT');
    return rows.length;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}

export interface RawDrainOptions {
  batchSize?: number;
  /** Commit without waiting for the WAL flush, as the relay does. */
  asyncCommit?: boolean;
  /** What each loop does with a batch before deleting it. Default: nothing. */
  produce?: Parameters<typeof rawDrainBatch>[3];
}

/**
 * The hand-written drain: `consumers` loops of SELECT ... FOR UPDATE SKIP LOCKED LIMIT 500, the
 * producer, DELETE, COMMIT, until `n` messages are gone.
 */
export async function rawDrain(db: BenchDatabase, table: string, n: number, consumers: number, o: RawDrainOptions = {}): Promise<DrainRun> {
  const { batchSize = 500, asyncCommit = false, produce = () => {} } = o;
  const pool = db.pool(consumers + 1);
  const clients = await Promise.all(Array.from({ length: consumers }, () => pool.connect()));
  let drained = 0;
  let batches = 0;
  const start = performance.now();
  await Promise.all(
    clients.map(async (client) => {
      for (;;) {
        const got = await rawDrainBatch(client, table, batchSize, produce, asyncCommit);
        if (got === 0) return;
        drained += got;
        batches++;
      }
    }),
  );
  const ms = performance.now() - start;
  clients.forEach((c) => c.release());
  await db.close(pool);
  if (drained !== n) throw new Error(`raw drain took ${drained} of ${n} messages`);
  return { messages: drained, ms: Math.round(ms), msgs_per_s: rate(drained, ms), batches };
}

export interface RawConsumerOptions {
  pool: pg.Pool;
  table: string;
  batchSize: number;
  produce: (rows: RawRow[]) => Promise<void> | void;
  /** LISTEN on this channel and drain on each notification. */
  channel?: string;
  /** Poll when nothing woke the loop. */
  pollMs: number;
}

/** A long-running hand-written relay: drain while batches are full, then sleep until NOTIFY or the poll. */
export async function startRawConsumer(o: RawConsumerOptions): Promise<() => Promise<void>> {
  let stopped = false;
  let pending = false;
  let wake: (() => void) | undefined;
  const nudge = () => {
    pending = true;
    wake?.();
  };
  const listener = o.channel ? await o.pool.connect() : undefined;
  if (listener) {
    listener.on('notification', nudge);
    await listener.query(`LISTEN ${o.channel}`);
  }
  const client = await o.pool.connect();
  const loop = (async () => {
    while (!stopped) {
      pending = false;
      let n: number;
      do n = await rawDrainBatch(client, o.table, o.batchSize, o.produce);
      while (n === o.batchSize && !stopped);
      if (pending || stopped) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, o.pollMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  })();
  return async () => {
    stopped = true;
    wake?.();
    await loop;
    client.release();
    if (listener) {
      await listener.query(`UNLISTEN ${o.channel}`).catch(() => {});
      listener.removeAllListeners('notification');
      listener.release();
    }
  };
}
