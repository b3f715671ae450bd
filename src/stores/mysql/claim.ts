import { randomUUID } from 'node:crypto';
import { keepKeyOrder } from '../../core/ordering.js';
import type { ClaimedBatch, MessageFailure, Settlement, SettleResult } from '../../core/store.js';
import { rowToMessage, type MessageRow } from '../shared/rows.js';
import { affectedRows, selectRows, type MysqlConnectionLike, type MysqlPoolLike } from './driver.js';
import { shortTransaction } from './session.js';
import type { relayStatements } from './sql.js';

type Statements = ReturnType<typeof relayStatements>;

export interface MysqlBatch extends ClaimedBatch {
  readonly positions: ReadonlyMap<string, number>;
  readonly token: string;
}

/** Longest error text kept per message (TEXT holds 65,535 bytes; 4 bytes per character at worst). */
const MAX_ERROR_CHARS = 16_000;

/**
 * A lease claim: in one short transaction, lock the oldest claimable rows (skipping rows another
 * claim holds), keep only those the per-key rule allows, stamp them with a fresh lease token and
 * expiry, commit. Nothing stays open while the producer runs; the token fences a relay whose
 * lease expired and was taken over.
 */
export async function claimBatch(pool: MysqlPoolLike, sql: Statements, limit: number, claimTimeoutMs: number): Promise<MysqlBatch> {
  const token = randomUUID();
  const idleBoundS = Math.max(1, Math.ceil(claimTimeoutMs / 1000));
  return shortTransaction(pool, idleBoundS, async (conn) => {
    const rows = await selectRows<MessageRow>(conn, sql.candidates, [limit]);
    const candidates = rows.map((row) => ({ position: Number(row.position), key: row.msg_key, row }));
    const heads = await pendingHeads(conn, sql, candidates);
    const kept = keepKeyOrder(candidates, (key, n) => (heads.get(key) ?? []).slice(0, n));
    const positions = kept.map((k) => k.position);
    if (kept.length > 0) await conn.query(sql.lease(kept.length), [token, claimTimeoutMs * 1000, ...positions]);
    return {
      messages: kept.map((k) => rowToMessage(k.row)),
      hasMore: rows.length >= limit,
      positions: new Map(kept.map((k) => [String(k.row.id), k.position])),
      token,
    };
  });
}

/**
 * For each key among the candidates, its n oldest pending positions (n = its candidate count),
 * in one statement. A plain read: at READ COMMITTED it sees every committed row, including the
 * ones other claims hold, which is what the rule needs.
 */
async function pendingHeads(conn: MysqlConnectionLike, sql: Statements, candidates: readonly { key: string | null }[]): Promise<Map<string, number[]>> {
  const counts = new Map<string, number>();
  for (const { key } of candidates) if (key !== null) counts.set(key, (counts.get(key) ?? 0) + 1);
  const heads = new Map<string, number[]>();
  if (counts.size === 0) return heads;
  const values = [...counts].flatMap(([key, n]) => [key, key, n]);
  for (const { k, pos } of await selectRows<{ k: string; pos: unknown }>(conn, sql.heads(counts.size), values)) {
    const list = heads.get(k) ?? [];
    list.push(Number(pos));
    heads.set(k, list);
  }
  for (const list of heads.values()) list.sort((a, b) => a - b);
  return heads;
}

/**
 * Applies a settlement with autocommit statements, each fenced by the lease token: what was
 * published is acknowledged first. Nothing is held between statements, so a relay paused here
 * blocks no one; if a later statement fails, the relay retries the whole settlement and the rows
 * already settled count as lost (they are no longer owned), which only skews that count.
 */
export async function settleBatch(pool: MysqlPoolLike, sql: Statements, batch: MysqlBatch, s: Settlement): Promise<SettleResult> {
  const pos = (id: string) => batch.positions.get(id)!;
  let touched = 0;
  const run = async (statement: (n: number) => string, ids: readonly string[], before: unknown[] = []) => {
    if (ids.length > 0) touched += await affectedRows(pool, statement(ids.length), [...before, ...ids.map(pos), batch.token]);
  };
  await run(sql.done, s.delivered);
  for (const group of groupFailures(s.failed)) {
    const error = group.error.slice(0, MAX_ERROR_CHARS);
    if (group.dead) await run(sql.bury, group.ids, [error]);
    else await run(sql.retry, group.ids, [error, Math.round(group.retryInMs * 1000)]);
  }
  await run(sql.release, s.released);
  return { lost: batch.positions.size - touched };
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
