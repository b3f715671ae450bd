import { TxboxError } from '../../core/errors.js';
import type { EncodedMessage } from '../../core/message.js';
import type { ClaimedBatch, OutboxStore, Settlement, WriteResult } from '../../core/store.js';
import { checkIds } from '../../core/store-options.js';
import { WakeChannel } from '../../core/wake.js';
import { encodeHeaders, rowToDeadLetter, rowToMessage, type MessageRow } from '../shared/rows.js';
import { headerPattern, matchesHeader } from '../shared/dead-letter-filter.js';
import { checkTransactionHandle, isUniqueViolation, runScript, type PgClientLike, type PgQueryable } from './driver.js';
import { requeueDeadLetters, type RequeueSteps } from '../../core/requeue.js';
import type { ResolvedPgDialectOptions } from './options.js';
import { insertBuilder, writeError } from './insert.js';
import { claimRows, claimStatements } from './claim.js';
import { pgStatsSql } from './stats.js';
import { statsPart, type StatsRow } from '../shared/stats-rows.js';
import { summarizeStats } from '../../core/stats.js';
import { postgresMigrationSql } from './schema.js';
import { pgSchemaStatus } from './schema-status.js';
import { OUTBOX_SCHEMA_VERSION } from '../../core/schema-version.js';
import { pgMigrate } from './migrate.js';
import { pgQueries } from './queries.js';
import { cleanupSql, deadLetterSql, debounceLockSql, replacePendingSql, settleDeliveredSql, settleSql } from './sql.js';

/**
 * Where the relay's statements run: a claim is a transaction on a connection checked out with
 * `connect()` (a pg Pool) or, where there is no pool, inside `transaction()` (PGlite).
 */
export interface PgConnectionSource extends PgQueryable {
  connect?(): Promise<PgClientLike>;
  transaction?<T>(fn: (tx: PgQueryable) => Promise<T>): Promise<T>;
  exec?(sql: string): Promise<unknown>;
}

interface PgBatch extends ClaimedBatch {
  readonly positions: ReadonlyMap<string, string>;
  readonly token: string | null;
  readonly client: PgClientLike | undefined;
}

const MAX_ROWS_PER_INSERT = 500;

function pgBatch(rows: readonly MessageRow[], hasMore: boolean, token: string | null, client: PgClientLike | undefined): PgBatch {
  const positions = new Map(rows.map((r) => [String(r.id), String(r.position)]));
  return { messages: rows.map(rowToMessage), hasMore, positions, token, client };
}

/** The PostgreSQL-dialect store behind `txbox/postgres` and `txbox/pglite`. */
export function buildPgStore<Tx extends PgQueryable>(kind: string, db: PgConnectionSource, o: ResolvedPgDialectOptions): OutboxStore<Tx> {
  const { layout } = o;
  const insert = insertBuilder(layout);
  const claimSql = claimStatements(layout, o.claimMode);
  const replacePending = replacePendingSql(layout, o.claimMode);
  const debounceLock = o.claimMode === 'lock' ? debounceLockSql(layout) : undefined;
  const settle = settleSql(layout, o.completion === 'markProcessed');
  const settleDelivered = settleDeliveredSql(layout, o.completion === 'markProcessed', o.claimMode);
  const cleanup = cleanupSql(layout);
  const dead = deadLetterSql(layout);
  const schema = postgresMigrationSql(layout, o.schema, null);
  // No void column in the answer: an ORM's raw query may refuse to decode one (Prisma does).
  const notifySql = `SELECT 1 AS notified FROM pg_notify('${o.channel}', '')`;
  const statsSql = { total: pgStatsSql(layout, o.claimMode, false), byTopic: pgStatsSql(layout, o.claimMode, true) };

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
    // A destroyed connection keeps its silent listener: its socket may still report an error.
    if (!destroy) client.removeListener?.('error', ignoreError);
    client.release(destroy);
  };

  // Claims run at READ COMMITTED whatever the database's default: at REPEATABLE READ or above
  // SKIP LOCKED claims fail with serialization errors, and the per-key rule needs fresh reads.
  const begin = `BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL statement_timeout = ${o.queryTimeoutMs}`;

  const checkOut = async (): Promise<PgClientLike> => {
    if (!db.connect) throw new TxboxError('NOT_SUPPORTED', `claim mode '${o.claimMode}' needs a pool with connect()`);
    const client = await db.connect();
    client.on('error', ignoreError);
    return client;
  };

  /** Lock mode: the claim's transaction stays open, holding its rows, until the batch is settled. */
  const openClaim = async (): Promise<PgClientLike> => {
    const client = await checkOut();
    try {
      // A paused or partitioned relay must not hold rows forever: the server ends its transaction.
      // The acknowledgement commits without waiting for its WAL flush: a server crash can only lose
      // the newest acknowledgements (the WAL is written in order), and their messages are then
      // delivered again, which at-least-once allows. Writers' commits stay synchronous.
      await client.query(`${begin}; SET LOCAL idle_in_transaction_session_timeout = ${o.claimTimeoutMs}; SET LOCAL synchronous_commit = off`);
      return client;
    } catch (error) {
      release(client, true);
      throw error;
    }
  };

  /** Lease mode: a short transaction that stamps the lease and commits before anything is published. */
  const leaseClaim = async (limit: number, token: string) => {
    const lease = { token, ms: o.claimTimeoutMs };
    if (!db.connect && db.transaction) {
      return db.transaction(async (tx) => {
        await tx.query(`SET TRANSACTION ISOLATION LEVEL READ COMMITTED`);
        return claimRows(tx, claimSql, limit, lease);
      });
    }
    const client = await checkOut();
    try {
      // The stamp need not wait for its WAL flush either (see ASYNC_COMMIT in sql.ts).
      await client.query(`${begin}; SET LOCAL synchronous_commit = off`);
      const claimed = await claimRows(client, claimSql, limit, lease);
      await client.query('COMMIT');
      release(client);
      return claimed;
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
  const requeueSteps: RequeueSteps = {
    inPlace: (ids) => count(dead.requeue, [ids]),
    deadInOrder: async (ids) => (await db.query(dead.deadInOrder, [ids])).rows.map((r: { id: string }) => String(r.id)),
    atEnd: (id) => count(dead.requeueAtEnd, [id]),
    isDedupConflict: isUniqueViolation,
  };

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
      if (debounceLock) await tx.query(debounceLock, [m.dedupKey]);
      return (await tx.query(replacePending, values)).rows.length === 1;
    },

    async claim({ limit }) {
      if (o.claimMode === 'lease') {
        const token = crypto.randomUUID();
        const { rows, hasMore } = await leaseClaim(limit, token);
        return pgBatch(rows, hasMore, token, undefined);
      }
      const client = await openClaim();
      let claimed;
      try {
        claimed = await claimRows(client, claimSql, limit, null);
      } catch (error) {
        // Whatever failed, the claim's connection goes back (and its transaction with it).
        release(client, true);
        throw error;
      }
      if (claimed.rows.length === 0) await finish(client, 'ROLLBACK');
      return pgBatch(claimed.rows, claimed.hasMore, null, claimed.rows.length > 0 ? client : undefined);
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
        s.relay ?? null,
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
    async listDeadLetters({ limit = 100, header } = {}) {
      const { rows } = header ? await db.query(dead.listWithHeader, [limit, headerPattern(header)]) : await db.query(dead.list, [limit]);
      return rows.map(rowToDeadLetter).filter((d) => matchesHeader(d, header));
    },
    requeueDeadLetters: (ids, options) => requeueDeadLetters(ids, options, requeueSteps),
    async discardDeadLetters(ids) {
      checkIds('ids', ids);
      return count(dead.discard, [ids]);
    },
    async stats({ byTopic = false } = {}) {
      const { rows } = await db.query(byTopic ? statsSql.byTopic : statsSql.total);
      return summarizeStats((rows as StatsRow[]).map(statsPart), Number(rows[0]?.now_ms ?? Date.now()), byTopic);
    },
    migrate: () => pgMigrate(db, layout, OUTBOX_SCHEMA_VERSION, (from) => postgresMigrationSql(layout, o.schema, from)),
    schemaStatus: () => pgSchemaStatus(db, layout),
    schemaSql: () => schema,
    query: pgQueries(db, o, { requeue: (ids, position) => requeueDeadLetters(ids, { position }, requeueSteps), discard: (ids) => count(dead.discard, [ids]) }),
  };
}
