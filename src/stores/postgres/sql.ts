import type { TableLayout } from '../shared/layout.js';
import { messageColumns } from '../shared/rows.js';

export type ClaimMode = 'lock' | 'lease';

const ms = (param: string) => `(${param}::double precision * interval '1 millisecond')`;

/** Parameters per message in the INSERT: id, topic, key, payload, content type, headers, dedup key, available at, delay. */
export const INSERT_PARAMS = 9;

export function insertSql(l: TableLayout, rows: number, dedup: boolean): string {
  const { c } = l;
  const values = Array.from({ length: rows }, (_, r) => {
    const p = (i: number) => `$${r * INSERT_PARAMS + i}`;
    // The delay counts from this statement, not from the start of a possibly long transaction.
    return `(${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}, ${p(6)}, ${p(7)}, coalesce(${p(8)}::timestamptz, statement_timestamp() + ${ms(p(9))}))`;
  });
  const conflict = dedup
    ? ` ON CONFLICT (${c.dedupKey}) WHERE ${c.dedupKey} IS NOT NULL AND ${c.processedAt} IS NULL AND ${c.deadAt} IS NULL DO NOTHING RETURNING ${c.id} AS id`
    : '';
  return `INSERT INTO ${l.table} (${c.id}, ${c.topic}, ${c.key}, ${c.payload}, ${c.contentType}, ${c.headers}, ${c.dedupKey}, ${c.availableAt}) VALUES ${values.join(', ')}${conflict}`;
}

/**
 * Claims up to $1 messages in position order. The per-key rule: a keyed candidate is kept only
 * while the key's candidates match the key's oldest pending rows one for one; the first mismatch
 * (an older row leased, locked by another relay, delayed or in backoff) cuts that key's tail.
 * Lock mode returns the rows, locked until the claim's transaction ends; lease mode stamps a
 * lease token ($2) valid for $3 ms. Both return the candidate count on every row (and one row of
 * NULLs when none is kept), so the relay knows whether more is waiting.
 */
export function claimSql(l: TableLayout, mode: ClaimMode): string {
  const { c, table } = l;
  const pending = (a: string) => `${a}${c.processedAt} IS NULL AND ${a}${c.deadAt} IS NULL`;
  const leaseFree = mode === 'lease' ? ` AND (${c.leaseUntil} IS NULL OR ${c.leaseUntil} <= now())` : '';
  const cte = `WITH cand AS (
  SELECT ${c.position} AS pos, ${c.key} AS k FROM ${table}
  WHERE ${pending('')} AND ${c.availableAt} <= now()${leaseFree}
  ORDER BY ${c.position} LIMIT $1
  FOR UPDATE SKIP LOCKED
), keyed AS (
  SELECT pos, k, row_number() OVER (PARTITION BY k ORDER BY pos) AS rn FROM cand WHERE k IS NOT NULL
), heads AS (
  SELECT g.k, h.pos, row_number() OVER (PARTITION BY g.k ORDER BY h.pos) AS rn
  FROM (SELECT k, count(*) AS n FROM keyed GROUP BY k) g
  CROSS JOIN LATERAL (
    SELECT p.${c.position} AS pos FROM ${table} p
    WHERE p.${c.key} = g.k AND ${pending('p.')}
    ORDER BY p.${c.position} LIMIT g.n
  ) h
), cut AS (
  SELECT keyed.k, min(keyed.rn) AS rn FROM keyed
  LEFT JOIN heads ON heads.k = keyed.k AND heads.rn = keyed.rn
  WHERE heads.pos IS DISTINCT FROM keyed.pos GROUP BY keyed.k
), ok AS (
  SELECT pos FROM cand WHERE k IS NULL
  UNION ALL
  SELECT keyed.pos FROM keyed LEFT JOIN cut ON cut.k = keyed.k WHERE cut.rn IS NULL OR keyed.rn < cut.rn
), total AS (SELECT count(*)::int AS candidates FROM cand)`;
  if (mode === 'lock') {
    return `${cte}
SELECT total.candidates, m.* FROM total LEFT JOIN (
  SELECT ${messageColumns(l, 't')} FROM ${table} t JOIN ok ON t.${c.position} = ok.pos
) m ON true ORDER BY m.position`;
  }
  return `${cte}, claimed AS (
  UPDATE ${table} t SET ${c.leaseToken} = $2, ${c.leaseUntil} = now() + ${ms('$3')}
  FROM ok WHERE t.${c.position} = ok.pos
  RETURNING ${messageColumns(l, 't')}
)
SELECT total.candidates, claimed.* FROM total LEFT JOIN claimed ON true ORDER BY claimed.position`;
}

/**
 * Applies a settlement: $1 delivered positions; $2..$5 failures (position, error, delay ms,
 * dead); $6 released positions; $7 the lease token (NULL in lock mode, where the transaction is
 * the fence). Returns how many rows each part touched, so lost leases can be counted.
 */
export function settleSql(l: TableLayout, markProcessed: boolean): string {
  const { c, table } = l;
  const owned = (a: string) => `($7::uuid IS NULL OR ${a}${c.leaseToken} = $7::uuid)`;
  const clearLease = `${c.leaseToken} = NULL, ${c.leaseUntil} = NULL`;
  const done = markProcessed
    ? `UPDATE ${table} SET ${c.processedAt} = now(), ${clearLease} WHERE ${c.position} = ANY($1::bigint[]) AND ${owned('')} RETURNING 1`
    : `DELETE FROM ${table} WHERE ${c.position} = ANY($1::bigint[]) AND ${owned('')} RETURNING 1`;
  return `WITH done AS (${done}),
failed AS (
  UPDATE ${table} t SET ${c.attempts} = t.${c.attempts} + 1, ${c.lastError} = f.err,
    ${c.availableAt} = CASE WHEN f.dead THEN t.${c.availableAt} ELSE now() + ${ms('f.delay')} END,
    ${c.deadAt} = CASE WHEN f.dead THEN now() END, ${clearLease}
  FROM unnest($2::bigint[], $3::text[], $4::double precision[], $5::boolean[]) AS f(pos, err, delay, dead)
  WHERE t.${c.position} = f.pos AND ${owned('t.')} RETURNING 1
),
released AS (
  UPDATE ${table} SET ${clearLease} WHERE ${c.position} = ANY($6::bigint[]) AND ${owned('')} RETURNING 1
)
SELECT (SELECT count(*) FROM done)::int + (SELECT count(*) FROM failed)::int + (SELECT count(*) FROM released)::int AS touched`;
}

export function cleanupSql(l: TableLayout): string {
  const { c, table } = l;
  return `WITH gone AS (
  DELETE FROM ${table} WHERE ${c.position} IN (
    SELECT ${c.position} FROM ${table}
    WHERE ${c.processedAt} IS NOT NULL AND ${c.processedAt} < now() - ${ms('$1')}
    ORDER BY ${c.processedAt} LIMIT $2
  ) RETURNING 1
) SELECT count(*)::int AS n FROM gone`;
}

export function deadLetterSql(l: TableLayout) {
  const { c, table } = l;
  const byIds = `${c.deadAt} IS NOT NULL AND ${c.id}::text = ANY($1::text[])`;
  return {
    list: `SELECT ${messageColumns(l)}, ${c.lastError} AS last_error, ${c.deadAt} AS dead_at FROM ${table} WHERE ${c.deadAt} IS NOT NULL ORDER BY ${c.position} LIMIT $1`,
    requeue: `WITH r AS (UPDATE ${table} SET ${c.deadAt} = NULL, ${c.attempts} = 0, ${c.lastError} = NULL, ${c.availableAt} = now(), ${c.leaseToken} = NULL, ${c.leaseUntil} = NULL WHERE ${byIds} RETURNING 1) SELECT count(*)::int AS n FROM r`,
    discard: `WITH r AS (DELETE FROM ${table} WHERE ${byIds} RETURNING 1) SELECT count(*)::int AS n FROM r`,
  };
}

/**
 * Debounce: rewrites the pending message of a dedup key ($1) unless a lease holds it. In lock
 * mode a claimed row is locked, so this waits for the claim and then finds the row gone.
 */
export function replacePendingSql(l: TableLayout, mode: ClaimMode): string {
  const { c, table } = l;
  const free = mode === 'lease' ? ` AND (${c.leaseToken} IS NULL OR ${c.leaseUntil} <= now())` : '';
  return `UPDATE ${table} SET ${c.id} = $2, ${c.payload} = $3, ${c.contentType} = $4, ${c.headers} = $5,
  ${c.availableAt} = coalesce($6::timestamptz, statement_timestamp() + ${ms('$7')})
WHERE ${c.dedupKey} = $1 AND ${c.processedAt} IS NULL AND ${c.deadAt} IS NULL${free} RETURNING 1`;
}
