import type { TableLayout } from '../shared/layout.js';
import { isoUtc, timed, type MysqlClaimMode } from './sql.js';

const NOW = 'UTC_TIMESTAMP(6)';

/**
 * The stats query (see core/stats.ts), a plain read that locks nothing: the pending rows through
 * the `(processed_at, dead_at, position)` index, the dead ones through the same index's
 * `(NULL, NOT NULL)` range. Lease mode counts live leases as in flight; in lock mode a claim is
 * only a row lock, which InnoDB shows no plain read, so in-flight is NULL (unknown) and those
 * messages count as due. Times are ISO-8601 UTC text on the database's clock.
 */
export function mysqlStatsSql(l: TableLayout, mode: MysqlClaimMode, byTopic: boolean, timeoutMs: number): string {
  const { c, table } = l;
  const topic = byTopic ? `${c.topic} AS topic, ` : '';
  const group = byTopic ? ` GROUP BY ${c.topic}` : '';
  const held = mode === 'lease' ? `COALESCE(${c.leaseUntil} > ${NOW}, 0)` : '0';
  return timed(
    `SELECT ${topic}COUNT(*) AS \`pending\`,
  ${mode === 'lease' ? `COALESCE(SUM(${held}), 0)` : 'NULL'} AS \`in_flight\`,
  COALESCE(SUM(NOT ${held} AND ${c.availableAt} > ${NOW}), 0) AS \`delayed\`,
  ${isoUtc(`MIN(CASE WHEN NOT ${held} AND ${c.availableAt} <= ${NOW} THEN ${c.availableAt} END)`)} AS \`oldest_due\`,
  0 AS \`dead\`, ${isoUtc(NOW)} AS now_utc
FROM ${table} WHERE ${c.processedAt} IS NULL AND ${c.deadAt} IS NULL${group}
UNION ALL
SELECT ${topic}0, ${mode === 'lease' ? '0' : 'NULL'}, 0, NULL, COUNT(*), ${isoUtc(NOW)} FROM ${table} WHERE ${c.processedAt} IS NULL AND ${c.deadAt} IS NOT NULL${group}`,
    timeoutMs,
  );
}
