import { ATTEMPT_HISTORY_LIMIT } from '../../core/queries.js';
import type { TableLayout } from '../shared/layout.js';
import { messageColumns } from '../shared/rows.js';

export type ClaimMode = 'lock' | 'lease';

/** A number of milliseconds (a parameter or column) as an interval. */
export const ms = (param: string) => `(${param}::double precision * interval '1 millisecond')`;

/**
 * A claim's scan: the oldest claimable rows ($1 at most), read whole and locked until the claim's
 * transaction ends, skipping rows another claim holds. Lease mode also skips rows whose lease is
 * alive. A later scan of the same claim (`next`) reads on past position $2 and leaves out the
 * keys in $3, which the per-key rule found blocked (core/ordering.ts), so a blocked key's backlog
 * cannot fill the batch.
 */
export function scanSql(l: TableLayout, mode: ClaimMode, next: boolean): string {
  const { c, table } = l;
  const further = next ? ` AND ${c.position} > $2::bigint AND (${c.key} IS NULL OR ${c.key} <> ALL($3::text[]))` : '';
  return `SELECT ${epochMillis(l, messageColumns(l))} FROM ${table}
WHERE ${claimable(l, mode)}${further}
ORDER BY ${c.position} LIMIT $1 FOR UPDATE SKIP LOCKED`;
}

function claimable(l: TableLayout, mode: ClaimMode): string {
  const { c } = l;
  const leaseFree = mode === 'lease' ? ` AND (${c.leaseUntil} IS NULL OR ${c.leaseUntil} <= now())` : '';
  return `${c.processedAt} IS NULL AND ${c.deadAt} IS NULL AND ${c.availableAt} <= now()${leaseFree}`;
}

/**
 * A claim's first scan (`scanSql`) with the per-key rule's shortcut on every keyed row, as
 * `pending_head`: the number and the newest position of the oldest $1 pending rows (whatever
 * their state: delayed, in backoff, held by another relay). When the scan holds exactly those
 * rows, no pending row is missing and every row may go (one relay, nothing delayed or failing in
 * the way). It is an InitPlan behind a CASE, which PostgreSQL runs only when a row has a key, so
 * an unkeyed batch pays nothing for it, and a keyed one pays a walk of $1 index entries in the
 * claim's own round trip instead of a second statement.
 */
export function firstScanSql(l: TableLayout, mode: ClaimMode): string {
  const { c, table } = l;
  const head = `(SELECT ARRAY[count(*), max(h.p)] FROM (
  SELECT ${c.position} AS p FROM ${table} WHERE ${c.processedAt} IS NULL AND ${c.deadAt} IS NULL ORDER BY ${c.position} LIMIT $1
) h)`;
  return `SELECT ${epochMillis(l, messageColumns(l))}, CASE WHEN ${c.key} IS NOT NULL THEN ${head} END AS pending_head FROM ${table}
WHERE ${claimable(l, mode)}
ORDER BY ${c.position} LIMIT $1 FOR UPDATE SKIP LOCKED`;
}

/**
 * The rule's input: for each key in $1, the positions of its $2 oldest pending rows, whatever
 * their state (leased, locked, delayed, in backoff). One index probe per key. It runs in the
 * claim's transaction with a newer snapshot than the scan's, so a row committed since can only
 * hold more back, never less.
 */
export function headsSql(l: TableLayout): string {
  const { c, table } = l;
  return `SELECT keys.k, h.pos FROM unnest($1::text[], $2::int[]) AS keys(k, n) CROSS JOIN LATERAL (
  SELECT p.${c.position}::text AS pos FROM ${table} p
  WHERE p.${c.key} = keys.k AND p.${c.processedAt} IS NULL AND p.${c.deadAt} IS NULL
  ORDER BY p.${c.position} LIMIT keys.n
) h`;
}

/** Lease mode: stamps the kept rows ($3) with the claim's token ($1), valid for $2 ms. */
export function leaseSql(l: TableLayout): string {
  const { c, table } = l;
  return `UPDATE ${table} SET ${c.leaseToken} = $1, ${c.leaseUntil} = now() + ${ms('$2')} WHERE ${c.position} = ANY($3::bigint[])`;
}

/**
 * The acknowledgement (or lease stamp) commits without waiting for its WAL flush, even as a
 * statement of its own outside any transaction block: a setting local to the transaction, the
 * statement's own, read when it commits. A server crash can then lose only the newest of these
 * writes (the WAL is written in order); their messages are delivered again, which at-least-once
 * allows. Writers' commits stay synchronous.
 */
export const ASYNC_COMMIT = `(SELECT set_config('synchronous_commit', 'off', true))`;

/**
 * Claims return their timestamps as epoch milliseconds: the same Date once converted (both ways
 * truncate to the millisecond), without parsing timestamp text for every row of every batch.
 * The arithmetic is float8, several times cheaper than extract()'s numeric: rounding to whole
 * microseconds first makes it exact (a float8 epoch is off by far less than half a microsecond).
 */
function epochMillis(l: TableLayout, columns: string, prefix = ''): string {
  const { c } = l;
  const millis = (column: string) => `floor(round(date_part('epoch', ${prefix}${column}) * 1000000) / 1000)`;
  return columns
    .replace(`${prefix}${c.createdAt} AS created_at`, `${millis(c.createdAt)} AS created_at`)
    .replace(`${prefix}${c.availableAt} AS available_at`, `${millis(c.availableAt)} AS available_at`);
}

/**
 * The attempt history of row `t` with one more failed attempt (`error`, by `relay`), the oldest
 * dropped past ATTEMPT_HISTORY_LIMIT. Only the failure's own UPDATE writes it, so a delivery
 * writes nothing more than before the history existed. Anything but an array (a value written
 * by hand) starts a new history instead of failing the settlement.
 */
export function appendAttemptSql(l: TableLayout, error: string, relay: string): string {
  const h = `t.${l.c.attemptHistory}`;
  const list = `CASE WHEN jsonb_typeof(${h}) = 'array' THEN ${h} ELSE '[]'::jsonb END`;
  const entry = `jsonb_build_object('attempt', t.${l.c.attempts} + 1, 'at', floor(extract(epoch FROM now()) * 1000)::bigint, 'error', ${error}, 'relay', ${relay})`;
  return `(CASE WHEN jsonb_array_length(${list}) >= ${ATTEMPT_HISTORY_LIMIT} THEN (${list}) - 0 ELSE ${list} END) || jsonb_build_array(${entry})`;
}

/**
 * Applies a settlement: $1 delivered positions; $2..$5 failures (position, error, delay ms,
 * dead); $6 released positions; $7 the lease token (NULL in lock mode, where the transaction is
 * the fence); $8 the relay named in the failures' history. Returns how many rows each part
 * touched, so lost leases can be counted.
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
  UPDATE ${table} t SET ${c.attempts} = t.${c.attempts} + 1, ${c.lastError} = f.err, ${c.attemptHistory} = ${appendAttemptSql(l, 'f.err', '$8::text')},
    ${c.availableAt} = CASE WHEN f.dead THEN t.${c.availableAt} ELSE now() + ${ms('f.delay')} END,
    ${c.deadAt} = CASE WHEN f.dead THEN now() END, ${clearLease}
  FROM unnest($2::bigint[], $3::text[], $4::double precision[], $5::boolean[]) AS f(pos, err, delay, dead)
  WHERE t.${c.position} = f.pos AND ${owned('t.')} RETURNING 1
),
released AS (
  UPDATE ${table} SET ${clearLease} WHERE ${c.position} = ANY($6::bigint[]) AND ${owned('')} RETURNING 1
)
SELECT (SELECT count(*) FROM done)::int + (SELECT count(*) FROM failed)::int + (SELECT count(*) FROM released)::int AS touched, ${ASYNC_COMMIT} AS async_commit`;
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
  return mode === 'lease' ? `WITH done AS (${done} RETURNING 1) SELECT (SELECT count(*)::int FROM done) AS touched, ${ASYNC_COMMIT} AS async_commit` : done;
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
  const back = `${c.deadAt} = NULL, ${c.attempts} = 0, ${c.lastError} = NULL, ${c.availableAt} = now(), ${c.leaseToken} = NULL, ${c.leaseUntil} = NULL`;
  return {
    list: `SELECT ${messageColumns(l)}, ${c.lastError} AS last_error, ${c.deadAt} AS dead_at FROM ${table} WHERE ${c.deadAt} IS NOT NULL ORDER BY ${c.position} LIMIT $1`,
    /** Params: limit, LIKE pattern of a header (see headerPattern). */
    listWithHeader: `SELECT ${messageColumns(l)}, ${c.lastError} AS last_error, ${c.deadAt} AS dead_at FROM ${table} WHERE ${c.deadAt} IS NOT NULL AND ${c.headers} LIKE $2 ESCAPE '!' ORDER BY ${c.position} LIMIT $1`,
    /** Params: ids. Requeued in place: each keeps its position. */
    requeue: `WITH r AS (UPDATE ${table} SET ${back} WHERE ${byIds} RETURNING 1) SELECT count(*)::int AS n FROM r`,
    /** Params: ids. The dead letters among them, in position order. */
    deadInOrder: `SELECT ${c.id}::text AS id FROM ${table} WHERE ${byIds} ORDER BY ${c.position}`,
    /**
     * Params: one id. Requeued at the end: the position column's default (its identity or
     * sequence, which every insert of txbox's uses) gives it a position after every message
     * written so far. One row per statement, so a batch gets its new positions in its old order.
     */
    requeueAtEnd: `WITH r AS (UPDATE ${table} SET ${c.position} = DEFAULT, ${back} WHERE ${c.deadAt} IS NOT NULL AND ${c.id}::text = $1 RETURNING 1) SELECT count(*)::int AS n FROM r`,
    discard: `WITH r AS (DELETE FROM ${table} WHERE ${byIds} RETURNING 1) SELECT count(*)::int AS n FROM r`,
  };
}

/**
 * Debounce: rewrites the pending message of a dedup key ($1) unless a relay holds it, and
 * returns 1 when it did. A held row is left alone, so the caller takes the follower slot:
 * - lease mode: a live lease holds it; an expired lease is cleared with the rewrite, so the relay
 *   that held it cannot acknowledge (delete) content it never published;
 * - lock mode: a claim's row lock holds it, and the row is skipped rather than waited for (the
 *   waiter may be a consumer running inside that very claim). Debouncers of one key first queue
 *   on a transaction-scoped advisory lock (`debounceLockSql`), so a row lock the rewrite meets
 *   can only be a claim's, never another debouncer's whose rewrite it must follow.
 */
export function replacePendingSql(l: TableLayout, mode: ClaimMode): string {
  const { c, table } = l;
  const pending = `${c.dedupKey} = $1 AND ${c.processedAt} IS NULL AND ${c.deadAt} IS NULL`;
  const free =
    mode === 'lease'
      ? `${pending} AND (${c.leaseToken} IS NULL OR ${c.leaseUntil} <= now())`
      : `${c.position} = (SELECT ${c.position} FROM ${table} WHERE ${pending} FOR UPDATE SKIP LOCKED)`;
  return `UPDATE ${table} SET ${c.id} = $2, ${c.payload} = $3, ${c.contentType} = $4, ${c.headers} = $5,
  ${c.availableAt} = coalesce($6::timestamptz, statement_timestamp() + ${ms('$7')}), ${c.leaseToken} = NULL, ${c.leaseUntil} = NULL
WHERE ${free} RETURNING 1`;
}

/** Lock mode: debouncers of one dedup key ($1) of this table take turns, until their transactions end. */
export function debounceLockSql(l: TableLayout): string {
  // `SELECT 1 FROM` a void function: every write statement answers columns any client can
  // decode (Prisma's raw queries refuse a void column).
  return `SELECT 1 AS locked FROM pg_advisory_xact_lock(hashtext('txbox:debounce'), hashtext(${quoteLiteral(l.table)} || $1::text))`;
}

const quoteLiteral = (s: string) => `'${s.replace(/'/g, "''")}'`;
