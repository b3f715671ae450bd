import type { TableLayout } from '../shared/layout.js';
import type { ClaimMode } from './sql.js';

/**
 * Lock mode: is the row locked by a transaction still running? A claim holds its rows with
 * `FOR UPDATE`, which stamps the claim's xid in the row's `xmax`; the xid is in progress if the
 * statement's snapshot lists it, or if it is at or past the snapshot's xmax (not yet finished
 * when the snapshot was taken). A finished locker leaves a stale xmax behind, which reads as
 * free. Xids are compared as 32-bit numbers, modulo 2^32, the way PostgreSQL compares them.
 * It reads a column the scan visits anyway and takes no lock: claims are never blocked. Rows
 * never locked (xmax 0) skip the arithmetic, which halves its cost on a large backlog. A row
 * share-locked by several transactions at once (a MultiXact) is not recognised.
 */
const LOCKED = `(t.xmax <> '0'::xid AND (t.xmax::text::bigint = ANY(snap.xip)
    OR (t.xmax::text::bigint - snap.xmax + 4294967296) % 4294967296 < 2147483648))`;

const SNAPSHOT = `SELECT pg_snapshot_xmax(s)::text::bigint % 4294967296 AS xmax,
    ARRAY(SELECT x::text::bigint % 4294967296 FROM pg_snapshot_xip(s) AS x) AS xip
  FROM pg_current_snapshot() AS s`;

/**
 * The stats query (see core/stats.ts), read-only and lock-free: the pending rows through the
 * pending partial index, the dead ones through the dead index (an index-only count). Times are
 * epoch milliseconds on the database's clock; with `byTopic` the same grouped by topic.
 */
export function pgStatsSql(l: TableLayout, mode: ClaimMode, byTopic: boolean): string {
  const { c, table } = l;
  const topic = (alias: string) => (byTopic ? `${alias}${c.topic} AS topic, ` : '');
  const group = (alias: string) => (byTopic ? ` GROUP BY ${alias}${c.topic}` : '');
  const held = mode === 'lock' ? LOCKED : `coalesce(t.${c.leaseUntil} > now(), false)`;
  const epoch = (v: string) => `floor(date_part('epoch', ${v}) * 1000)`;
  return `WITH snap AS (${mode === 'lock' ? SNAPSHOT : 'SELECT 0 AS xmax'}),
p AS (
  SELECT ${topic('t.')}t.${c.availableAt} AS available_at, ${held} AS held
  FROM ${table} t CROSS JOIN snap WHERE t.${c.processedAt} IS NULL AND t.${c.deadAt} IS NULL
)
SELECT ${byTopic ? 'topic, ' : ''}count(*) AS pending,
  count(*) FILTER (WHERE held) AS in_flight,
  count(*) FILTER (WHERE NOT held AND available_at > now()) AS delayed,
  ${epoch('min(available_at) FILTER (WHERE NOT held AND available_at <= now())')} AS oldest_due,
  0 AS dead, ${epoch('now()')} AS now_ms
FROM p${byTopic ? ' GROUP BY topic' : ''}
UNION ALL
SELECT ${topic('')}0, 0, 0, NULL, count(*), ${epoch('now()')} FROM ${table} WHERE ${c.deadAt} IS NOT NULL${group('')}`;
}
