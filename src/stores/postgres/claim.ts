import { claimInKeyOrder, type KeyOrderScanner, type OrderCandidate } from '../../core/ordering.js';
import type { TableLayout } from '../shared/layout.js';
import type { MessageRow } from '../shared/rows.js';
import type { PgQueryable } from './driver.js';
import { headsSql, leaseSql, pendingUpToSql, scanSql, type ClaimMode } from './sql.js';

export function claimStatements(l: TableLayout, mode: ClaimMode) {
  return { first: scanSql(l, mode, false), next: scanSql(l, mode, true), heads: headsSql(l), pendingUpTo: pendingUpToSql(l), lease: leaseSql(l) };
}

type Statements = ReturnType<typeof claimStatements>;

interface Scanned extends OrderCandidate<string> {
  readonly row: MessageRow;
}

/** Stamps kept rows in lease mode: the claim's token and how long its lease lasts. */
export interface LeaseStamp {
  readonly token: string;
  readonly ms: number;
}

/**
 * Claims inside the caller's READ COMMITTED transaction: scans and locks the oldest claimable
 * rows under the per-key rule (core/ordering.ts), then, in lease mode, stamps the kept ones. Rows
 * the rule held back stay locked until the transaction ends, which holds back no one: they could
 * not go before their blocker anyway.
 */
export async function claimRows(tx: PgQueryable, sql: Statements, limit: number, lease: LeaseStamp | null) {
  const { kept, hasMore } = await claimInKeyOrder(scanner(tx, sql), limit);
  const rows = kept.map((k) => k.row);
  if (lease && rows.length > 0) await tx.query(sql.lease, [lease.token, lease.ms, rows.map((r) => String(r.position))]);
  return { rows, hasMore };
}

function scanner(tx: PgQueryable, sql: Statements): KeyOrderScanner<string, Scanned> {
  return {
    async scan(after, excluded, limit) {
      const result = after === null ? await tx.query(sql.first, [limit]) : await tx.query(sql.next, [limit, after, excluded]);
      return result.rows.map((row: MessageRow) => ({ position: String(row.position), key: row.msg_key, row }));
    },
    async heads(wanted) {
      const { rows } = await tx.query(sql.heads, [[...wanted.keys()], [...wanted.values()]]);
      const heads = new Map<string, string[]>();
      for (const { k, pos } of rows as { k: string; pos: string }[]) {
        const list = heads.get(k);
        if (list) list.push(pos);
        else heads.set(k, [pos]);
      }
      for (const list of heads.values()) list.sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
      return heads;
    },
    async noneMissing(rows) {
      // Rows come in position order: every pending row up to the newest keyed one must be here.
      let upTo = -1;
      rows.forEach((r, i) => {
        if (r.key !== null) upTo = i;
      });
      const expected = upTo + 1;
      const { n } = (await tx.query(sql.pendingUpTo, [rows[upTo]!.position, expected + 1])).rows[0] as { n: number };
      return n === expected;
    },
  };
}
