import type { TableLayout } from '../shared/layout.js';

/**
 * The stats query (see core/stats.ts): the pending rows through the pending partial index, the
 * dead ones through the dead index, in one read. Param: @now (epoch ms). With `byTopic`, the
 * same grouped by topic.
 */
export function sqliteStatsSql(l: TableLayout, byTopic: boolean): string {
  const { c, table } = l;
  const topic = byTopic ? `${c.topic} AS topic, ` : '';
  const group = byTopic ? ` GROUP BY ${c.topic}` : '';
  const held = `(${c.leaseUntil} IS NOT NULL AND ${c.leaseUntil} > @now)`;
  return `SELECT ${topic}count(*) AS pending,
  coalesce(sum(${held}), 0) AS in_flight,
  coalesce(sum(NOT ${held} AND ${c.availableAt} > @now), 0) AS delayed,
  min(CASE WHEN NOT ${held} AND ${c.availableAt} <= @now THEN ${c.availableAt} END) AS oldest_due,
  0 AS dead
FROM ${table} WHERE ${c.processedAt} IS NULL AND ${c.deadAt} IS NULL${group}
UNION ALL
SELECT ${topic}0, 0, 0, NULL, count(*) FROM ${table} WHERE ${c.deadAt} IS NOT NULL${group}`;
}
