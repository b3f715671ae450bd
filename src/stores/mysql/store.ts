import type { OutboxStore } from '../../core/store.js';
import { checkIds } from '../../core/store-options.js';
import { WakeChannel } from '../../core/wake.js';
import { rowToDeadLetter } from '../shared/rows.js';
import { headerPattern, matchesHeader } from '../shared/dead-letter-filter.js';
import { claimBatch, settleBatch, type MysqlBatch } from './claim.js';
import { affectedRows, duplicateKeyIndex, selectRows, type MysqlConnectionLike, type MysqlConnectionOf, type MysqlPoolLike, type MysqlTransaction } from './driver.js';
import { resolveMysqlOptions, type MysqlStoreOptions } from './options.js';
import { INDEX, mysqlMigrationStatements } from './schema.js';
import { randomUUID } from 'node:crypto';
import type { RequeueOptions } from '../../core/store.js';
import { requeueDeadLetters, resolveRequeue, type RequeueSteps } from '../../core/requeue.js';
import { mysqlSchemaStatus } from './schema-status.js';
import { mysqlMigrate } from './migrate.js';
import { OUTBOX_SCHEMA_VERSION } from '../../core/schema-version.js';
import { PENDING_DEDUP_COLUMN } from './options.js';
import { maintenanceStatements, relayStatements } from './sql.js';
import { mysqlWriter } from './write.js';
import { mysqlStatsSql } from './stats.js';
import { epochMs, statsPart, type StatsRow } from '../shared/stats-rows.js';
import { summarizeStats } from '../../core/stats.js';
import { mysqlQueries } from './queries.js';

/** `C`: the pool's connection type (mysql2's `PoolConnection`), which `transaction` hands to its callback. */
export interface MysqlStore<C = MysqlConnectionLike> extends OutboxStore<MysqlTransaction> {
  /** Runs `fn` in a transaction on a pooled connection, commits, then wakes relays in this process. */
  transaction<T>(fn: (conn: C) => Promise<T>): Promise<T>;
}

/** Long id lists are split so no statement grows without bound. */
const IDS_PER_STATEMENT = 1000;

/**
 * The MySQL / MariaDB store. Claims are leases taken in a short READ COMMITTED transaction (see
 * claim.ts); writes and debounce rewrites go through the caller's connection (see write.ts).
 * There is no cross-process wake-up (no LISTEN/NOTIFY): relays in other processes poll.
 * Constructing does no I/O.
 */
export function createMysqlStore<P extends MysqlPoolLike>(options: MysqlStoreOptions<P>): MysqlStore<MysqlConnectionOf<P>> {
  const o = resolveMysqlOptions(options);
  const { pool, layout } = o;
  const relay = relayStatements(layout, o.completion === 'markProcessed', o.queryTimeoutMs, o.claimMode);
  const maintenance = maintenanceStatements(layout, o.queryTimeoutMs);
  const schema = mysqlMigrationStatements(layout, o.pendingDedup, null);
  const schemaName = options.schema ?? null;
  const wakes = new WakeChannel();
  // In lock mode the server's wait_timeout, in whole seconds, is what ends a paused relay's claim.
  const claimTimeoutMs = o.claimMode === 'lock' ? Math.max(1, Math.ceil(o.claimTimeoutMs / 1000)) * 1000 : o.claimTimeoutMs;
  const { write, replacePending } = mysqlWriter(layout, o.pendingDedup);
  const statsSql = { total: mysqlStatsSql(layout, o.claimMode, false, o.queryTimeoutMs), byTopic: mysqlStatsSql(layout, o.claimMode, true, o.queryTimeoutMs) };

  const byIdChunks = async (ids: readonly string[], fn: (chunk: readonly string[]) => Promise<number>) => {
    checkIds('ids', ids);
    let n = 0;
    for (let i = 0; i < ids.length; i += IDS_PER_STATEMENT) n += await fn(ids.slice(i, i + IDS_PER_STATEMENT));
    return n;
  };

  const inTransaction = async <T>(fn: (conn: MysqlConnectionLike) => Promise<T>): Promise<T> => {
    const conn = await pool.getConnection();
    let result;
    try {
      await conn.query('START TRANSACTION');
      result = await fn(conn);
      await conn.query('COMMIT');
    } catch (error) {
      await conn.query('ROLLBACK').then(() => conn.release(), () => conn.destroy());
      throw error;
    }
    conn.release();
    return result;
  };

  const requeueSteps: RequeueSteps = {
    inPlace: (ids) => affectedRows(pool, maintenance.requeue(ids.length), [...ids]),
    async deadInOrder(ids) {
      const found: { id: string; pos: string }[] = [];
      for (let i = 0; i < ids.length; i += IDS_PER_STATEMENT) {
        const chunk = ids.slice(i, i + IDS_PER_STATEMENT);
        found.push(...(await selectRows<{ id: string; pos: string }>(pool, maintenance.deadOf(chunk.length), [...chunk])));
      }
      return found.sort((a, b) => (BigInt(a.pos) < BigInt(b.pos) ? -1 : 1)).map((r) => String(r.id));
    },
    atEnd: (id) =>
      inTransaction(async (conn) => {
        const aside = randomUUID();
        if ((await affectedRows(conn, maintenance.atEnd.aside, [aside, id])) === 0) return 0;
        await conn.query(maintenance.atEnd.copy, [id, aside]);
        await conn.query(maintenance.atEnd.remove, [aside]);
        return 1;
      }),
    isDedupConflict: (error) => duplicateKeyIndex(error) === INDEX.dedup,
  };
  // In place, a long list goes in statements of IDS_PER_STATEMENT; at the end, one by one anyway.
  const requeue = async (ids: readonly string[], options: RequeueOptions | undefined) =>
    resolveRequeue(ids, options) === 'end' ? requeueDeadLetters(ids, options, requeueSteps) : byIdChunks(ids, (chunk) => requeueDeadLetters(chunk, options, requeueSteps));
  const discard = (ids: readonly string[]) => byIdChunks(ids, (chunk) => affectedRows(pool, maintenance.discard(chunk.length), [...chunk]));

  return {
    key: { kind: 'mysql', name: o.name },
    completion: o.completion,
    claimTimeoutMs,
    wakes,
    write,
    replacePending,
    async transaction(fn) {
      // The connection is what this pool's getConnection() gave, so it is of the pool's type.
      const result = await inTransaction((conn) => fn(conn as MysqlConnectionOf<P>));
      wakes.nudge();
      return result;
    },
    claim: ({ limit }) => claimBatch(pool, relay, limit, claimTimeoutMs, o.claimMode),
    settle: (batch, s) => settleBatch(pool, relay, batch as MysqlBatch, s),
    async cleanup(maxAgeMs, limit) {
      // Pick with a plain read, then delete by primary key: a range DELETE would take gap locks
      // at REPEATABLE READ and make writers wait.
      const rows = await selectRows<{ pos: unknown }>(pool, maintenance.processed, [Math.round(maxAgeMs * 1000), limit]);
      if (rows.length === 0) return 0;
      return affectedRows(pool, maintenance.removeProcessed(rows.length), rows.map((r) => Number(r.pos)));
    },
    async listDeadLetters({ limit = 100, header } = {}) {
      const rows = header ? await selectRows(pool, maintenance.listDeadWithHeader, [headerPattern(header), limit]) : await selectRows(pool, maintenance.listDead, [limit]);
      return rows.map(rowToDeadLetter).filter((d) => matchesHeader(d, header));
    },
    requeueDeadLetters: requeue,
    discardDeadLetters: discard,
    async stats({ byTopic = false } = {}) {
      const rows = await selectRows<StatsRow & { now_utc: string }>(pool, byTopic ? statsSql.byTopic : statsSql.total);
      return summarizeStats(rows.map(statsPart), epochMs(rows[0]?.now_utc) ?? Date.now(), byTopic);
    },
    migrate: () => mysqlMigrate(pool, layout, schemaName, OUTBOX_SCHEMA_VERSION, (from) => mysqlMigrationStatements(layout, o.pendingDedup, from)),
    schemaSql: () => schema.map((s) => `${s};`).join('\n'),
    schemaStatus: () => mysqlSchemaStatus(pool, layout, schemaName, PENDING_DEDUP_COLUMN),
    query: mysqlQueries(o, { requeue: (ids, position) => requeue(ids, { position }), discard }),
  };
}
