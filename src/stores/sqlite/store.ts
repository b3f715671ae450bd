import { randomUUID } from 'node:crypto';
import type { EncodedMessage } from '../../core/message.js';
import { claimInKeyOrderSync } from '../../core/ordering.js';
import type { ClaimedBatch, OutboxStore, Settlement, WriteResult } from '../../core/store.js';
import { checkIds } from '../../core/store-options.js';
import { WakeChannel } from '../../core/wake.js';
import { encodeHeaders, rowToDeadLetter, rowToMessage, type MessageRow } from '../shared/rows.js';
import { headerPattern, matchesHeader } from '../shared/dead-letter-filter.js';
import { TxboxError } from '../../core/errors.js';
import { requeueDeadLetters, type RequeueSteps } from '../../core/requeue.js';
import { checkTransactionHandle, isAsyncTransaction, isUniqueViolation, statementCache, writeError, type SqliteAsyncTransactionLike, type SqliteDatabaseLike, type SqliteTransactionLike } from './driver.js';
import { resolveSqliteOptions, type SqliteStoreOptions } from './options.js';
import { sqliteMigrationSql } from './schema.js';
import { sqliteSchemaStatus } from './schema-status.js';
import { sqliteMigrate } from './migrate.js';
import { OUTBOX_SCHEMA_VERSION } from '../../core/schema-version.js';
import { sqliteStatements } from './sql.js';
import { sqliteStatsSql } from './stats.js';
import { statsPart, type StatsRow } from '../shared/stats-rows.js';
import { summarizeStats } from '../../core/stats.js';
import { sqliteQueries } from './queries.js';

/** `D`: the database's type (better-sqlite3's `Database`), which `transaction` hands to its callback. */
export interface SqliteStore<D = SqliteDatabaseLike> extends OutboxStore<SqliteTransactionLike> {
  /** Runs `fn` in a synchronous better-sqlite3 transaction, then wakes relays in this process. */
  transaction<T>(fn: (db: D) => T): T;
}

interface SqliteBatch extends ClaimedBatch {
  readonly positions: ReadonlyMap<string, number>;
  readonly token: string;
}

/**
 * SQLite has one writer at a time, so a claim is a short IMMEDIATE transaction that stamps a
 * lease; nothing stays open while the producer runs. The lease token fences a zombie relay.
 */
export function createSqliteStore<D extends SqliteDatabaseLike>(options: SqliteStoreOptions<D>): SqliteStore<D> {
  const o = resolveSqliteOptions(options);
  const { db, clock } = o;
  const sql = sqliteStatements(o.layout, o.completion === 'markProcessed');
  const stmt = statementCache();
  const schema = sqliteMigrationSql(o.layout, null);
  const wakes = new WakeChannel();

  /** The INSERT of one message: OR-IGNORE-like on a pending dedup key, which then changes nothing. */
  const insertOf = (m: EncodedMessage, now: number) => {
    const available = m.availableAt?.getTime() ?? now + m.delayMs;
    const params = [m.id, m.topic, m.key, m.payload, m.contentType, encodeHeaders(m.headers), m.dedupKey, now, available];
    return { text: m.dedupKey === null ? sql.insert : sql.insertDedup, params };
  };
  const replaceOf = (m: EncodedMessage, now: number) => [m.id, m.payload, m.contentType, encodeHeaders(m.headers), m.availableAt?.getTime() ?? now + m.delayMs, m.dedupKey, now];
  const syncOnly = (tx: SqliteTransactionLike): SqliteDatabaseLike => {
    if (isAsyncTransaction(tx)) throw new TxboxError('NOT_SUPPORTED', 'this transaction runs through an asynchronous driver: use send(), not sendSync()', { field: 'tx' });
    checkTransactionHandle(tx);
    return tx;
  };

  const writeSync = (handle: SqliteTransactionLike, messages: readonly EncodedMessage[]): WriteResult => {
    const tx = syncOnly(handle);
    const duplicates: string[] = [];
    const now = clock.now();
    for (const [i, m] of messages.entries()) {
      const { text, params } = insertOf(m, now);
      try {
        if (stmt(tx, text).run(...params).changes === 0) duplicates.push(m.id);
      } catch (error) {
        throw writeError(error, m, i);
      }
    }
    return { duplicates };
  };

  const writeAsync = async (tx: SqliteAsyncTransactionLike, messages: readonly EncodedMessage[]): Promise<WriteResult> => {
    const duplicates: string[] = [];
    const now = clock.now();
    for (const [i, m] of messages.entries()) {
      const { text, params } = insertOf(m, now);
      try {
        if ((await tx.runAsync(text, params)).changes === 0) duplicates.push(m.id);
      } catch (error) {
        throw writeError(error, m, i);
      }
    }
    return { duplicates };
  };

  const replacePendingSync = (handle: SqliteTransactionLike, m: EncodedMessage): boolean =>
    stmt(syncOnly(handle), sql.replacePending).run(...replaceOf(m, clock.now())).changes === 1;

  const claimSync = (limit: number): SqliteBatch => {
    const now = clock.now();
    const { kept, hasMore } = claimInKeyOrderSync(
      {
        scan: (after, excluded, n) => {
          const rows = (after === null ? stmt(db, sql.candidates).all(now, now, n) : stmt(db, sql.candidatesAfter).all(now, now, after, JSON.stringify(excluded), n)) as MessageRow[];
          return rows.map((row) => ({ position: row.position as number, key: row.msg_key, row }));
        },
        heads: (wanted) => new Map([...wanted].map(([key, n]) => [key, (stmt(db, sql.heads).all(key, n) as { position: number }[]).map((r) => r.position)])),
      },
      limit,
    );
    const token = randomUUID();
    if (kept.length > 0) stmt(db, sql.lease).run(token, now + o.claimTimeoutMs, JSON.stringify(kept.map((k) => k.position)));
    return {
      messages: kept.map((k) => rowToMessage(k.row)),
      hasMore,
      positions: new Map(kept.map((k) => [String(k.row.id), k.position])),
      token,
    };
  };

  const requeueSteps: RequeueSteps = {
    inPlace: async (ids) => stmt(db, sql.requeue).run(clock.now(), JSON.stringify(ids)).changes,
    deadInOrder: async (ids) => (stmt(db, sql.deadInOrder).all(JSON.stringify(ids)) as { id: string }[]).map((r) => r.id),
    // IMMEDIATE: the next position is read and taken under the write lock.
    atEnd: async (id) =>
      db
        .transaction(() => {
          const moved = stmt(db, sql.requeueAtEnd).run(clock.now(), id).changes;
          if (moved > 0) stmt(db, sql.seqAtEnd).run();
          return moved;
        })
        .immediate(),
    isDedupConflict: isUniqueViolation,
  };

  const settleSync = (batch: SqliteBatch, s: Settlement) => {
    const now = clock.now();
    const pos = (id: string) => batch.positions.get(id)!;
    const list = (ids: readonly string[]) => JSON.stringify(ids.map(pos));
    const doneParams = o.completion === 'markProcessed' ? [now, list(s.delivered), batch.token] : [list(s.delivered), batch.token];
    let touched = stmt(db, sql.done).run(...doneParams).changes;
    for (const f of s.failed) {
      touched += stmt(db, sql.fail).run(f.error, now, f.error, s.relay ?? null, now + f.retryInMs, f.dead ? now : null, pos(f.id), batch.token).changes;
    }
    touched += stmt(db, sql.release).run(list(s.released), batch.token).changes;
    return { lost: batch.positions.size - touched };
  };

  const store: SqliteStore<D> = {
    key: { kind: 'sqlite', name: o.name },
    completion: o.completion,
    claimTimeoutMs: o.claimTimeoutMs,
    wakes,
    writeSync,
    write: async (tx, messages) => (isAsyncTransaction(tx) ? writeAsync(tx, messages) : writeSync(tx, messages)),
    replacePendingSync,
    replacePending: async (tx, m) =>
      isAsyncTransaction(tx) ? (await tx.runAsync(sql.replacePending, replaceOf(m, clock.now()))).changes === 1 : replacePendingSync(tx, m),
    transaction(fn) {
      const result = db.transaction(() => fn(options.db))();
      wakes.nudge();
      return result;
    },
    claim: async ({ limit }) => db.transaction(() => claimSync(limit)).immediate(),
    settle: async (batch, s) => db.transaction(() => settleSync(batch as SqliteBatch, s)).immediate(),
    cleanup: async (maxAgeMs, limit) => stmt(db, sql.cleanup).run(clock.now() - maxAgeMs, limit).changes,
    listDeadLetters: async ({ limit = 100, header } = {}) =>
      ((header ? stmt(db, sql.listDeadWithHeader).all(headerPattern(header), limit) : stmt(db, sql.listDead).all(limit)) as Parameters<typeof rowToDeadLetter>[0][])
        .map(rowToDeadLetter)
        .filter((d) => matchesHeader(d, header)),
    requeueDeadLetters: (ids, options) => requeueDeadLetters(ids, options, requeueSteps),
    async discardDeadLetters(ids) {
      checkIds('ids', ids);
      return stmt(db, sql.discard).run(JSON.stringify(ids)).changes;
    },
    async stats({ byTopic = false } = {}) {
      const now = clock.now();
      const rows = stmt(db, sqliteStatsSql(o.layout, byTopic)).all({ now }) as StatsRow[];
      return summarizeStats(rows.map(statsPart), now, byTopic);
    },
    migrate: async () => sqliteMigrate(db, o.layout, OUTBOX_SCHEMA_VERSION, (from) => sqliteMigrationSql(o.layout, from)),
    schemaSql: () => schema,
    schemaStatus: async () => sqliteSchemaStatus(db, o.layout),
    query: sqliteQueries(o, { requeue: (ids, position) => requeueDeadLetters(ids, { position }, requeueSteps), discard: (ids) => store.discardDeadLetters(ids) }),
  };
  return store;
}
