import { claimInKeyOrder, type KeyOrderScanner, type OrderCandidate } from '../../core/ordering.js';
import type { TableLayout } from '../shared/layout.js';
import type { MessageRow } from '../shared/rows.js';
import type { PgQueryable } from './driver.js';
import { firstScanSql, headsSql, leaseSql, scanSql, type ClaimMode } from './sql.js';

export function claimStatements(l: TableLayout, mode: ClaimMode) {
  return { first: firstScanSql(l, mode), next: scanSql(l, mode, true), heads: headsSql(l), lease: leaseSql(l) };
}

type Statements = ReturnType<typeof claimStatements>;

/** A first scan's keyed row carries the per-key shortcut's figures (sql.ts `firstScanSql`): count and newest position. */
type ScannedRow = MessageRow & { pending_head?: readonly (string | number)[] | null };

interface Scanned extends OrderCandidate<string> {
  readonly row: ScannedRow;
}

/** Stamps kept rows in lease mode: the claim's token and how long its lease lasts. */
export interface LeaseStamp {
  readonly token: string;
  readonly ms: number;
}

export interface ClaimedRows {
  readonly rows: MessageRow[];
  readonly hasMore: boolean;
}

/**
 * Claims inside the caller's READ COMMITTED transaction: scans and locks the oldest claimable
 * rows under the per-key rule (core/ordering.ts), then, in lease mode, stamps the kept ones. Rows
 * the rule held back stay locked until the transaction ends, which holds back no one: they could
 * not go before their blocker anyway.
 */
export async function claimRows(tx: PgQueryable, sql: Statements, limit: number, lease: LeaseStamp | null): Promise<ClaimedRows> {
  const { kept, hasMore } = await claimInKeyOrder(scanner(tx, sql), limit);
  const rows = kept.map((k) => k.row);
  if (lease && rows.length > 0) await tx.query(sql.lease, [lease.token, lease.ms, rows.map((r) => String(r.position))]);
  return { rows, hasMore };
}

function scanner(tx: PgQueryable, sql: Statements): KeyOrderScanner<string, Scanned> {
  return {
    async scan(after, excluded, limit) {
      const result = after === null ? await tx.query(sql.first, [limit]) : await tx.query(sql.next, [limit, after, excluded]);
      return result.rows.map((row: ScannedRow) => ({ position: String(row.position), key: row.msg_key, row }));
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
      // The scan holds the oldest pending rows themselves: as many, up to the same newest one.
      // Rows come in position order, and the figures are on every keyed row alike.
      const head = rows.find((r) => r.key !== null)?.row.pending_head;
      return !!head && Number(head[0]) === rows.length && String(head[1]) === rows[rows.length - 1]!.position;
    },
  };
}
