import type { TableLayout } from '../shared/layout.js';
import { messageColumns } from '../shared/rows.js';

export type ClaimMode = 'lock' | 'lease';

/** A number of milliseconds (a parameter or column) as an interval. */
export const ms = (param: string) => `(${param}::double precision * interval '1 millisecond')`;

/**
 * Lock mode, first step: the oldest claimable rows ($1 at most), read whole and locked until the
 * claim's transaction ends. As plain as a hand-written claim: the per-key rule is applied
 * afterwards (`blockersSql`), and only to batches that hold keyed rows.
 */
export function lockClaimSql(l: TableLayout): string {
  const { c, table } = l;
  return `SELECT ${epochMillis(l, messageColumns(l))} FROM ${table}
WHERE ${c.processedAt} IS NULL AND ${c.deadAt} IS NULL AND ${c.availableAt} <= now()
ORDER BY ${c.position} LIMIT $1 FOR UPDATE SKIP LOCKED`;
}

/**
 * Lock mode, second step, for a batch that holds keyed rows: counts the pending rows up to
 * position $1 (the batch's newest keyed row), stopping at $2. When that count is the number of
 * batch rows up to $1, no older pending row is missing from the batch (one relay, nothing delayed
 * or failing in the way) and the per-key rule keeps every row; the count walks only the batch's
 * own index entries.
 */
export function pendingUpToSql(l: TableLayout): string {
  const { c, table } = l;
  return `SELECT count(*)::int AS n FROM (
  SELECT 1 FROM ${table} WHERE ${c.processedAt} IS NULL AND ${c.deadAt} IS NULL AND ${c.position} <= $1::bigint
  ORDER BY ${c.position} LIMIT $2
) below`;
}

/**
 * Lock mode, third step, when the count found a pending row missing from the batch (it is locked
 * by another relay, delayed or in backoff). The per-key rule: a keyed row may go only if no older
 * pending row of its key is missing from the batch. $1 the batch's positions; $2 its keys and $3
 * each key's newest position in the batch. Returns, per key, its oldest pending row missing from
 * the batch and older than the key's newest: the key's rows from there on stay. One index probe
 * per key.
 *
 * Both steps run in the claim's transaction with a newer snapshot than the claim's, so a row
 * committed since can only hold more back, never less.
 */
export function blockersSql(l: TableLayout): string {
  const { c, table } = l;
  return `WITH batch AS (SELECT unnest($1::bigint[]) AS pos)
SELECT keys.k, b.pos FROM unnest($2::text[], $3::bigint[]) AS keys(k, last) CROSS JOIN LATERAL (
  SELECT p.${c.position} AS pos FROM ${table} p
  WHERE p.${c.key} = keys.k AND p.${c.processedAt} IS NULL AND p.${c.deadAt} IS NULL AND p.${c.position} < keys.last
    AND p.${c.position} NOT IN (SELECT pos FROM batch)
  ORDER BY p.${c.position} LIMIT 1
) b`;
}

/**
 * Lease mode: claims up to $1 messages in position order and stamps them with a lease token ($2)
 * valid for $3 ms, in one statement. The per-key rule (see `blockersSql`) is part of it: a keyed
 * candidate is kept only if no older pending row of its key is missing from the candidates; the
 * oldest such row cuts the key's tail. Returns the candidate count on every row (and one row of
 * NULLs when none is kept), so the relay knows whether more is waiting.
 */
export function leaseClaimSql(l: TableLayout): string {
  const { c, table } = l;
  const pending = (a: string) => `${a}${c.processedAt} IS NULL AND ${a}${c.deadAt} IS NULL`;
  // `claimed` finds its rows by primary key through an array: joining the CTE would be planned
  // from the CTE's row estimate, which can pick a sequential scan of the whole table per claim.
  return `WITH cand AS (
  SELECT ${c.position} AS pos, ${c.key} AS k FROM ${table}
  WHERE ${pending('')} AND ${c.availableAt} <= now() AND (${c.leaseUntil} IS NULL OR ${c.leaseUntil} <= now())
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
), total AS (SELECT count(*)::int AS candidates FROM cand),
claimed AS (
  UPDATE ${table} t SET ${c.leaseToken} = $2, ${c.leaseUntil} = now() + ${ms('$3')}
  WHERE t.${c.position} = ANY(ARRAY(SELECT pos FROM ok))
  RETURNING ${epochMillis(l, messageColumns(l, 't'), 't.')}
)
SELECT total.candidates, claimed.* FROM total LEFT JOIN claimed ON true ORDER BY claimed.position`;
}

/**
 * Claims return their timestamps as epoch milliseconds: the same Date once converted (both ways
 * truncate to the millisecond), without parsing timestamp text for every row of every batch.
 * The arithmetic is float8, several times cheaper than extract()'s numeric: rounding to whole
 * microseconds first makes it exact (a float8 epoch is off by far less than half a microsecond).
 */
function epochMillis(l: TableLayout, columns: string, a = ''): string {
  const { c } = l;
  const millis = (column: string) => `floor(round(date_part('epoch', ${a}${column}) * 1000000) / 1000)`;
  return columns
    .replace(`${a}${c.createdAt} AS created_at`, `${millis(c.createdAt)} AS created_at`)
    .replace(`${a}${c.availableAt} AS available_at`, `${millis(c.availableAt)} AS available_at`);
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
    /** Params: limit, LIKE pattern of a header (see headerPattern). */
    listWithHeader: `SELECT ${messageColumns(l)}, ${c.lastError} AS last_error, ${c.deadAt} AS dead_at FROM ${table} WHERE ${c.deadAt} IS NOT NULL AND ${c.headers} LIKE $2 ESCAPE '!' ORDER BY ${c.position} LIMIT $1`,
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
