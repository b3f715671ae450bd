import { randomUUID } from 'node:crypto';
import type { EncodedMessage } from '../../core/message.js';
import { claimInKeyOrderSync } from '../../core/ordering.js';
import type { ClaimedBatch, OutboxStore, Settlement, WriteResult } from '../../core/store.js';
import { checkIds } from '../../core/store-options.js';
import { WakeChannel } from '../../core/wake.js';
import { encodeHeaders, rowToDeadLetter, rowToMessage, type MessageRow } from '../shared/rows.js';
import { headerPattern, matchesHeader } from '../shared/dead-letter-filter.js';
import { checkTransactionHandle, statementCache, writeError, type SqliteDatabaseLike } from './driver.js';
import { resolveSqliteOptions, type SqliteStoreOptions } from './options.js';
import { sqliteSchema } from './schema.js';
import { sqliteStatements } from './sql.js';
import { sqliteQueries } from './queries.js';

export interface SqliteStore extends OutboxStore<SqliteDatabaseLike> {
  /** Runs `fn` in a synchronous better-sqlite3 transaction, then wakes relays in this process. */
  transaction<T>(fn: (db: SqliteDatabaseLike) => T): T;
}

interface SqliteBatch extends ClaimedBatch {
  readonly positions: ReadonlyMap<string, number>;
  readonly token: string;
}

/**
 * SQLite has one writer at a time, so a claim is a short IMMEDIATE transaction that stamps a
 * lease; nothing stays open while the producer runs. The lease token fences a zombie relay.
 */
export function createSqliteStore(options: SqliteStoreOptions): SqliteStore {
  const o = resolveSqliteOptions(options);
  const { db, clock } = o;
  const sql = sqliteStatements(o.layout, o.completion === 'markProcessed');
  const stmt = statementCache();
  const schema = sqliteSchema(o.layout);
  const wakes = new WakeChannel();

  const writeSync = (tx: SqliteDatabaseLike, messages: readonly EncodedMessage[]): WriteResult => {
    checkTransactionHandle(tx);
    const duplicates: string[] = [];
    const now = clock.now();
    for (const [i, m] of messages.entries()) {
      const available = m.availableAt?.getTime() ?? now + m.delayMs;
      const params = [m.id, m.topic, m.key, m.payload, m.contentType, encodeHeaders(m.headers), m.dedupKey, now, available];
      try {
        const { changes } = stmt(tx, m.dedupKey === null ? sql.insert : sql.insertDedup).run(...params);
        if (changes === 0) duplicates.push(m.id);
      } catch (error) {
        throw writeError(error, m, i);
      }
    }
    return { duplicates };
  };

  const replacePendingSync = (tx: SqliteDatabaseLike, m: EncodedMessage): boolean => {
    checkTransactionHandle(tx);
    const now = clock.now();
    const available = m.availableAt?.getTime() ?? now + m.delayMs;
    return stmt(tx, sql.replacePending).run(m.id, m.payload, m.contentType, encodeHeaders(m.headers), available, m.dedupKey, now).changes === 1;
  };

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

  const settleSync = (batch: SqliteBatch, s: Settlement) => {
    const now = clock.now();
    const pos = (id: string) => batch.positions.get(id)!;
    const list = (ids: readonly string[]) => JSON.stringify(ids.map(pos));
    const doneParams = o.completion === 'markProcessed' ? [now, list(s.delivered), batch.token] : [list(s.delivered), batch.token];
    let touched = stmt(db, sql.done).run(...doneParams).changes;
    for (const f of s.failed) {
      touched += stmt(db, sql.fail).run(f.error, now + f.retryInMs, f.dead ? now : null, pos(f.id), batch.token).changes;
    }
    touched += stmt(db, sql.release).run(list(s.released), batch.token).changes;
    return { lost: batch.positions.size - touched };
  };

  return {
    key: { kind: 'sqlite', name: o.name },
    completion: o.completion,
    claimTimeoutMs: o.claimTimeoutMs,
    wakes,
    writeSync,
    write: async (tx, messages) => writeSync(tx, messages),
    replacePendingSync,
    replacePending: async (tx, m) => replacePendingSync(tx, m),
    transaction(fn) {
      const result = db.transaction(() => fn(db))();
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
    async requeueDeadLetters(ids) {
      checkIds('ids', ids);
      return stmt(db, sql.requeue).run(clock.now(), JSON.stringify(ids)).changes;
    },
    async discardDeadLetters(ids) {
      checkIds('ids', ids);
      return stmt(db, sql.discard).run(JSON.stringify(ids)).changes;
    },
    migrate: async () => void db.exec(schema),
    schemaSql: () => schema,
    query: sqliteQueries(o),
  };
}
