import type { MessageRow } from '../shared/rows.js';
import type { PgQueryable } from './driver.js';

export interface KeyOrderStatements {
  pendingUpTo: string;
  blockers: string;
}

/**
 * Lock mode's per-key rule, applied to rows the claim already holds. Unkeyed batches pass as
 * they are. Otherwise one cheap count tells whether any older pending row is missing from the
 * batch; only then are the keys that have one looked up, and each such key's rows dropped from
 * that row on. Dropped rows stay locked until the claim's transaction ends, which holds back no
 * one: they could not go before their blocker anyway.
 */
export async function keepKeyOrderLocked(client: PgQueryable, sql: KeyOrderStatements, rows: readonly MessageRow[]): Promise<readonly MessageRow[]> {
  // Rows come in position order, so the last one seen of a key is its newest.
  const newest = new Map<string, string>();
  let upTo = -1;
  rows.forEach((r, i) => {
    if (r.msg_key === null) return;
    newest.set(r.msg_key, String(r.position));
    upTo = i;
  });
  if (upTo < 0) return rows;
  const newestKeyed = String(rows[upTo]!.position);
  const expected = upTo + 1;
  const { n } = (await client.query(sql.pendingUpTo, [newestKeyed, expected + 1])).rows[0] as { n: number };
  if (n === expected) return rows;

  const keys = [...newest.keys()];
  const lasts = keys.map((k) => newest.get(k)!);
  const found = (await client.query(sql.blockers, [rows.map((r) => String(r.position)), keys, lasts])).rows as { k: string; pos: unknown }[];
  if (found.length === 0) return rows;
  const cut = new Map(found.map((b) => [b.k, BigInt(String(b.pos))]));
  return rows.filter((r) => {
    const from = r.msg_key === null ? undefined : cut.get(r.msg_key);
    return from === undefined || BigInt(String(r.position)) < from;
  });
}
