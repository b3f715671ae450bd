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
 * if no older pending row of its key is missing from the candidates (that row is leased, locked
 * by another relay, delayed or in backoff); the oldest such row cuts the key's tail. This is the
 * same as keeping a key's candidates while they match its oldest pending rows one for one.
 * Lock mode returns the rows, locked until the claim's transaction ends; lease mode stamps a
 * lease token ($2) valid for $3 ms. Both return the candidate count on every row (and one row of
 * NULLs when none is kept), so the relay knows whether more is waiting.
 *
 * Cost: when every pending row below the batch's last position is in the batch (one relay, no
 * delayed or failed message in the way), no key can be cut and one range check settles it;
 * otherwise one index probe per distinct key, walking only that key's rows older than its newest
 * candidate. Unkeyed batches pay nothing for the rule.
 */
export function claimSql(l: TableLayout, mode: ClaimMode): string {
  const { c, table } = l;
  const pending = (a: string) => `${a}${c.processedAt} IS NULL AND ${a}${c.deadAt} IS NULL`;
  const leaseFree = mode === 'lease' ? ` AND (${c.leaseUntil} IS NULL OR ${c.leaseUntil} <= now())` : '';
  // Lock mode reads the whole message while locking it, so each row is visited once; lease mode
  // reads it from the UPDATE's RETURNING instead.
  const wide = mode === 'lock' ? `, ${epochMillis(l, messageColumns(l))}` : '';
  const cte = `WITH cand AS (
  SELECT ${c.position} AS pos, ${c.key} AS k${wide} FROM ${table}
  WHERE ${pending('')} AND ${c.availableAt} <= now()${leaseFree}
  ORDER BY ${c.position} LIMIT $1
  FOR UPDATE SKIP LOCKED
), keys AS (
  SELECT k, max(pos) AS last FROM cand WHERE k IS NOT NULL GROUP BY k
), gap AS (
  SELECT p.${c.position} AS pos FROM ${table} p
  WHERE ${pending('p.')} AND p.${c.position} < (SELECT max(last) FROM keys)
    AND p.${c.position} NOT IN (SELECT pos FROM cand)
  ORDER BY p.${c.position} LIMIT 1
), blocker AS (
  SELECT keys.k, b.pos FROM keys CROSS JOIN LATERAL (
    SELECT p.${c.position} AS pos FROM ${table} p
    WHERE p.${c.key} = keys.k AND ${pending('p.')} AND p.${c.position} < keys.last
      AND p.${c.position} NOT IN (SELECT pos FROM cand)
    ORDER BY p.${c.position} LIMIT 1
  ) b
  WHERE EXISTS (SELECT 1 FROM gap)
), ok AS (
  SELECT cand.* FROM cand LEFT JOIN blocker ON blocker.k = cand.k
  WHERE blocker.pos IS NULL OR cand.pos < blocker.pos
), total AS (SELECT count(*)::int AS candidates FROM cand)`;
  if (mode === 'lock') {
    const aliases = messageColumns(l).split(', ').map((col) => col.slice(col.lastIndexOf(' AS ') + 4));
    return `${cte}
SELECT total.candidates, m.* FROM total LEFT JOIN (SELECT ${aliases.join(', ')} FROM ok) m ON true ORDER BY m.position`;
  }
  // The UPDATE finds its rows by primary key through an array: joining the CTE would be planned
  // from the CTE's row estimate, which can pick a sequential scan of the whole table per claim.
  return `${cte}, claimed AS (
  UPDATE ${table} t SET ${c.leaseToken} = $2, ${c.leaseUntil} = now() + ${ms('$3')}
  WHERE t.${c.position} = ANY(ARRAY(SELECT pos FROM ok))
  RETURNING ${epochMillis(l, messageColumns(l, 't'), 't.')}
)
SELECT total.candidates, claimed.* FROM total LEFT JOIN claimed ON true ORDER BY claimed.position`;
}

/**
 * Claims return their timestamps as epoch milliseconds: the same Date once converted (both ways
 * truncate to the millisecond), without parsing timestamp text for every row of every batch.
 */
function epochMillis(l: TableLayout, columns: string, a = ''): string {
  const { c } = l;
  return columns
    .replace(`${a}${c.createdAt} AS created_at`, `floor(extract(epoch from ${a}${c.createdAt}) * 1000)::float8 AS created_at`)
    .replace(`${a}${c.availableAt} AS available_at`, `floor(extract(epoch from ${a}${c.availableAt}) * 1000)::float8 AS available_at`);
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

/**
 * The common settlement, every message delivered, as one plain statement: $1 delivered
 * positions; in lease mode $2 the lease token, and the statement returns how many rows it
 * touched. Same effect as `settleSql` with empty failed and released lists, at the cost of a
 * hand-written DELETE.
 */
export function settleDeliveredSql(l: TableLayout, markProcessed: boolean, mode: ClaimMode): string {
  const { c, table } = l;
  const where = `${c.position} = ANY($1::bigint[])${mode === 'lease' ? ` AND ${c.leaseToken} = $2::uuid` : ''}`;
  const done = markProcessed
    ? `UPDATE ${table} SET ${c.processedAt} = now(), ${c.leaseToken} = NULL, ${c.leaseUntil} = NULL WHERE ${where}`
    : `DELETE FROM ${table} WHERE ${where}`;
  return mode === 'lease' ? `WITH done AS (${done} RETURNING 1) SELECT count(*)::int AS touched FROM done` : done;
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
