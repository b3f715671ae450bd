import { TxboxError } from '../../core/errors.js';
import type { EncodedMessage } from '../../core/message.js';
import type { ClaimedBatch, OutboxStore, Settlement, WriteResult } from '../../core/store.js';
import { checkIds } from '../../core/store-options.js';
import { WakeChannel } from '../../core/wake.js';
import { encodeHeaders, rowToDeadLetter, rowToMessage } from '../shared/rows.js';
import { checkTransactionHandle, runScript, type PgClientLike, type PgQueryable } from './driver.js';
import type { ResolvedPgDialectOptions } from './options.js';
import { insertBuilder, writeError } from './insert.js';
import { keepKeyOrderLocked } from './key-order.js';
import { postgresSchema } from './schema.js';
import { blockersSql, cleanupSql, pendingUpToSql, deadLetterSql, leaseClaimSql, lockClaimSql, replacePendingSql, settleDeliveredSql, settleSql } from './sql.js';

/** Where the relay's statements run: lock mode checks out a connection per claim, lease mode needs only `query`. */
export interface PgConnectionSource extends PgQueryable {
  connect?(): Promise<PgClientLike>;
  exec?(sql: string): Promise<unknown>;
}

interface PgBatch extends ClaimedBatch {
  readonly positions: ReadonlyMap<string, string>;
  readonly token: string | null;
  readonly client: PgClientLike | undefined;
}

const MAX_ROWS_PER_INSERT = 500;

/** The PostgreSQL-dialect store behind `txbox/postgres` and `txbox/pglite`. */
export function buildPgStore<Tx extends PgQueryable>(kind: string, db: PgConnectionSource, o: ResolvedPgDialectOptions): OutboxStore<Tx> {
  const { layout } = o;
  const insert = insertBuilder(layout);
  const claim = o.claimMode === 'lock' ? lockClaimSql(layout) : leaseClaimSql(layout);
  const keyOrder = { pendingUpTo: pendingUpToSql(layout), blockers: blockersSql(layout) };
  const replacePending = replacePendingSql(layout, o.claimMode);
  const settle = settleSql(layout, o.completion === 'markProcessed');
  const settleDelivered = settleDeliveredSql(layout, o.completion === 'markProcessed', o.claimMode);
  const cleanup = cleanupSql(layout);
  const dead = deadLetterSql(layout);
  const schema = postgresSchema(layout, o.schema);
  const notifySql = `SELECT pg_notify('${o.channel}', '')`;

  const writeChunk = async (tx: Tx, chunk: readonly EncodedMessage[], offset: number): Promise<string[]> => {
    const { sql, values, returnsIds } = insert(chunk);
    try {
      const result = await tx.query(sql, values);
      if (!returnsIds) return [];
      const stored = new Set(result.rows.map((r: { id: string }) => String(r.id)));
      return chunk.filter((m) => !stored.has(m.id)).map((m) => m.id);
    } catch (error) {
      throw writeError(error, chunk, offset);
    }
  };

  // The server may end a claim's session (idle timeout); pg then emits 'error' on the client,
  // which would crash the process without a listener. The failure surfaces on the next query.
  const ignoreError = () => {};
  const release = (client: PgClientLike, destroy?: boolean) => {
    client.removeListener?.('error', ignoreError);
    client.release(destroy);
  };

  const openClaim = async (): Promise<PgClientLike | undefined> => {
    if (o.claimMode === 'lease') return undefined;
    if (!db.connect) throw new TxboxError('NOT_SUPPORTED', `claim mode 'lock' needs a pool with connect()`);
    const client = await db.connect();
    client.on('error', ignoreError);
    try {
      // A paused or partitioned relay must not hold rows forever: the server ends its transaction.
      // The acknowledgement commits without waiting for its WAL flush: a server crash can only lose
      // the newest acknowledgements (the WAL is written in order), and their messages are then
      // delivered again, which at-least-once allows. Writers' commits stay synchronous.
      await client.query(`BEGIN; SET LOCAL statement_timeout = ${o.queryTimeoutMs}; SET LOCAL idle_in_transaction_session_timeout = ${o.claimTimeoutMs}; SET LOCAL synchronous_commit = off`);
      return client;
    } catch (error) {
      release(client, true);
      throw error;
    }
  };

  const finish = async (client: PgClientLike | undefined, sql: 'COMMIT' | 'ROLLBACK') => {
    if (!client) return;
    try {
      await client.query(sql);
      release(client);
    } catch (error) {
      release(client, true);
      throw error;
    }
  };

  const count = async (sql: string, values: unknown[]) => Number((await db.query(sql, values)).rows[0]?.n ?? 0);

  return {
    key: { kind, name: o.name },
    completion: o.completion,
    claimTimeoutMs: o.claimTimeoutMs,
    wakes: new WakeChannel(),

    async write(tx, messages): Promise<WriteResult> {
      checkTransactionHandle(tx, db);
      const duplicates: string[] = [];
      for (let i = 0; i < messages.length; i += MAX_ROWS_PER_INSERT) {
        duplicates.push(...(await writeChunk(tx, messages.slice(i, i + MAX_ROWS_PER_INSERT), i)));
      }
      if (o.notify) await tx.query(notifySql);
      return { duplicates };
    },

    async replacePending(tx, m) {
      checkTransactionHandle(tx, db);
      const values = [m.dedupKey, m.id, m.payload, m.contentType, encodeHeaders(m.headers), m.availableAt, m.delayMs];
      return (await tx.query(replacePending, values)).rows.length === 1;
    },

    async claim({ limit }) {
      const client = await openClaim();
      const token = o.claimMode === 'lease' ? crypto.randomUUID() : null;
      let candidates, kept, messages;
      try {
        if (client) {
          const rows = (await client.query(claim, [limit])).rows;
          candidates = rows.length;
          kept = await keepKeyOrderLocked(client, keyOrder, rows);
        } else {
          // Lease mode applies the per-key rule in its one statement and counts candidates there.
          const rows = (await db.query(claim, [limit, token, o.claimTimeoutMs])).rows;
          candidates = Number(rows[0]?.candidates ?? 0);
          kept = rows.filter((r) => r.position !== null);
        }
        messages = kept.map(rowToMessage);
      } catch (error) {
        // Whatever failed, the claim's connection goes back (and its transaction with it).
        if (client) release(client, true);
        throw error;
      }
      if (kept.length === 0) await finish(client, 'ROLLBACK');
      const positions = new Map(kept.map((r) => [String(r.id), String(r.position)]));
      const batch: PgBatch = { messages, hasMore: candidates >= limit, positions, token, client: kept.length ? client : undefined };
      return batch;
    },

    async settle(batch, s: Settlement) {
      const { positions, token, client } = batch as PgBatch;
      const pos = (id: string) => positions.get(id)!;
      // Everything delivered (the usual case): one plain statement instead of the general one.
      const allDelivered = s.failed.length === 0 && s.released.length === 0;
      const sql = allDelivered ? settleDelivered : settle;
      const values = allDelivered ? (token ? [s.delivered.map(pos), token] : [s.delivered.map(pos)]) : [
        s.delivered.map(pos),
        s.failed.map((f) => pos(f.id)),
        s.failed.map((f) => f.error),
        s.failed.map((f) => f.retryInMs),
        s.failed.map((f) => f.dead),
        s.released.map(pos),
        token,
      ];
      if (!client) {
        const touched = Number((await db.query(sql, values)).rows[0]?.touched ?? 0);
        return { lost: positions.size - touched };
      }
      try {
        await client.query(sql, values);
      } catch (error) {
        release(client, true);
        throw new TxboxError('CLAIM_LOST', 'acknowledging failed and the claim transaction is gone; its messages will be claimed again', { cause: error });
      }
      try {
        await finish(client, 'COMMIT');
      } catch (error) {
        throw new TxboxError('CLAIM_LOST', 'the claim transaction could not commit; its messages will be claimed again', { cause: error });
      }
      return { lost: 0 };
    },

    cleanup: (maxAgeMs, limit) => count(cleanup, [maxAgeMs, limit]),
    async listDeadLetters({ limit = 100 } = {}) {
      return (await db.query(dead.list, [limit])).rows.map(rowToDeadLetter);
    },
    async requeueDeadLetters(ids) {
      checkIds('ids', ids);
      return count(dead.requeue, [ids]);
    },
    async discardDeadLetters(ids) {
      checkIds('ids', ids);
      return count(dead.discard, [ids]);
    },
    async migrate() {
      // One migrator at a time: concurrent CREATE ... IF NOT EXISTS can still collide in PostgreSQL.
      // A multi-statement script runs as one implicit transaction, which holds the lock to the end.
      await runScript(db, `SELECT pg_advisory_xact_lock(hashtext('txbox:migrate'));\n${schema}`);
    },
    schemaSql: () => schema,
  };
}
