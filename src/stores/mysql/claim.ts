import { randomUUID } from 'node:crypto';
import { TxboxError } from '../../core/errors.js';
import { claimInKeyOrder, type KeyOrderScanner, type OrderCandidate } from '../../core/ordering.js';
import type { ClaimedBatch, MessageFailure, Settlement, SettleResult } from '../../core/store.js';
import { rowToMessage, type MessageRow } from '../shared/rows.js';
import { affectedRows, selectRows, type MysqlConnectionLike, type MysqlPoolLike } from './driver.js';
import { abandon, beginBounded, endBounded } from './session.js';
import type { MysqlClaimMode, relayStatements } from './sql.js';

type Statements = ReturnType<typeof relayStatements>;

export interface MysqlBatch extends ClaimedBatch {
  readonly positions: ReadonlyMap<string, number>;
  /** Lease mode: the token the rows were stamped with. */
  readonly token: string | null;
  /** Lock mode: the open claim transaction that holds the rows' locks. */
  readonly conn: MysqlConnectionLike | undefined;
}

/** Longest error text kept per message (TEXT holds 65,535 bytes; 4 bytes per character at worst). */
const MAX_ERROR_CHARS = 16_000;

/**
 * Claims in a short READ COMMITTED transaction (see session.ts): lock the oldest claimable rows
 * (skipping rows another claim holds) and keep only those the per-key rule allows.
 *
 * - Lease mode stamps the kept rows with a fresh token and expiry and commits: nothing stays open
 *   while the producer runs, and the token fences a relay whose lease expired and was taken over.
 * - Lock mode keeps the transaction open until the batch is settled, as a hand-written loop
 *   does: one write per row instead of two. The lowered `wait_timeout` ends a paused relay's
 *   transaction, so its rows unlock and its late acknowledgement fails.
 */
export async function claimBatch(pool: MysqlPoolLike, sql: Statements, limit: number, claimTimeoutMs: number, mode: MysqlClaimMode): Promise<MysqlBatch> {
  const conn = await beginBounded(pool, Math.max(1, Math.ceil(claimTimeoutMs / 1000)));
  let batch: MysqlBatch;
  try {
    const { kept, hasMore } = await claimInKeyOrder(scanner(conn, sql), limit);
    const token = mode === 'lease' ? randomUUID() : null;
    if (token !== null && kept.length > 0) await conn.query(sql.lease(kept.length), [token, claimTimeoutMs * 1000, ...kept.map((k) => k.position)]);
    batch = {
      messages: kept.map((k) => rowToMessage(k.row)),
      hasMore,
      positions: new Map(kept.map((k) => [String(k.row.id), k.position])),
      token,
      conn: mode === 'lock' && kept.length > 0 ? conn : undefined,
    };
  } catch (error) {
    await abandon(conn);
    throw error;
  }
  if (!batch.conn) await endBounded(conn);
  return batch;
}

interface Scanned extends OrderCandidate<number> {
  readonly row: MessageRow;
}

/**
 * The claim's scans and the per-key rule's lookups. Head lookups are plain reads: at READ
 * COMMITTED they see every committed row, including the ones other claims hold, which is what
 * the rule needs.
 */
function scanner(conn: MysqlConnectionLike, sql: Statements): KeyOrderScanner<number, Scanned> {
  return {
    async scan(after, excluded, limit) {
      const rows =
        after === null
          ? await selectRows<MessageRow>(conn, sql.candidates, [limit])
          : await selectRows<MessageRow>(conn, sql.candidatesAfter(excluded.length), [after, ...excluded, limit]);
      return rows.map((row) => ({ position: Number(row.position), key: row.msg_key, row }));
    },
    async heads(wanted) {
      const values = [...wanted].flatMap(([key, n]) => [key, key, n]);
      const heads = new Map<string, number[]>();
      for (const { k, pos } of await selectRows<{ k: string; pos: unknown }>(conn, sql.heads(wanted.size), values)) {
        const list = heads.get(k);
        if (list) list.push(Number(pos));
        else heads.set(k, [Number(pos)]);
      }
      for (const list of heads.values()) list.sort((a, b) => a - b);
      return heads;
    },
  };
}

/**
 * Applies a settlement; what was published is acknowledged first.
 *
 * Lease mode: autocommit statements, each fenced by the lease token. Nothing is held between
 * statements, so a relay paused here blocks no one; if a later statement fails, the relay retries
 * the whole settlement and the rows already settled count as lost (they are no longer owned),
 * which only skews that count.
 *
 * Lock mode: the statements run in the claim transaction, which then commits; released rows need
 * nothing (their locks go with the commit). If the transaction is gone (the server ended it), the
 * messages will be claimed again: CLAIM_LOST.
 */
export async function settleBatch(pool: MysqlPoolLike, sql: Statements, batch: MysqlBatch, s: Settlement): Promise<SettleResult> {
  const { conn } = batch;
  const db = conn ?? pool;
  const fence = batch.token === null ? [] : [batch.token];
  const pos = (id: string) => batch.positions.get(id)!;
  let touched = 0;
  const run = async (statement: (n: number) => string, ids: readonly string[], before: unknown[] = []) => {
    if (ids.length > 0) touched += await affectedRows(db, statement(ids.length), [...before, ...ids.map(pos), ...fence]);
  };
  try {
    await run(sql.done, s.delivered);
    for (const group of groupFailures(s.failed)) {
      const error = group.error.slice(0, MAX_ERROR_CHARS);
      const failed = [error, s.relay ?? null, error];
      if (group.dead) await run(sql.bury, group.ids, failed);
      else await run(sql.retry, group.ids, [...failed, Math.round(group.retryInMs * 1000)]);
    }
    if (!conn) await run(sql.release, s.released);
  } catch (error) {
    if (!conn) throw error;
    conn.destroy();
    throw new TxboxError('CLAIM_LOST', 'acknowledging failed and the claim transaction is gone; its messages will be claimed again', { cause: error });
  }
  if (!conn) return { lost: batch.positions.size - touched };
  try {
    await endBounded(conn);
  } catch (error) {
    throw new TxboxError('CLAIM_LOST', 'the claim transaction could not commit; its messages will be claimed again', { cause: error });
  }
  return { lost: 0 };
}

/** Failures sharing error, delay and fate go in one statement (a producer outage fails a whole batch alike). */
function groupFailures(failed: readonly MessageFailure[]) {
  const groups = new Map<string, { error: string; retryInMs: number; dead: boolean; ids: string[] }>();
  for (const f of failed) {
    const k = JSON.stringify([f.error, f.dead ? 0 : f.retryInMs, f.dead]);
    const group = groups.get(k);
    if (group) group.ids.push(f.id);
    else groups.set(k, { error: f.error, retryInMs: f.retryInMs, dead: f.dead, ids: [f.id] });
  }
  return groups.values();
}
