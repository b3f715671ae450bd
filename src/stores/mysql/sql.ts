import type { TableLayout } from '../shared/layout.js';
import { placeholders } from './driver.js';
import { INDEX } from './schema.js';
import { ATTEMPT_HISTORY_LIMIT } from '../../core/queries.js';

const NOW = 'UTC_TIMESTAMP(6)';

/**
 * Gives a relay statement a server-side time limit that works whatever the session is.
 * MariaDB runs the `/*M! ... *\/` executable comment: SET STATEMENT max_statement_time covers
 * every statement, lock waits included. MySQL reads that as a plain comment and instead obeys the
 * MAX_EXECUTION_TIME hint on SELECTs (which MariaDB reads as a comment); its UPDATEs and DELETEs
 * only find rows by primary key or unique id, bounded by the session's innodb_lock_wait_timeout.
 */
export function timed(sql: string, timeoutMs: number): string {
  const hinted = sql.startsWith('SELECT ') ? `SELECT /*+ MAX_EXECUTION_TIME(${timeoutMs}) */ ${sql.slice(7)}` : sql;
  return `/*M!100301 SET STATEMENT max_statement_time=${(timeoutMs / 1000).toFixed(3)} FOR */ ${hinted}`;
}

/**
 * The message columns under the aliases shared/rows.ts reads. Times are formatted as ISO-8601 UTC
 * text in SQL, so neither the driver's `timezone`/`dateStrings` options nor the session time
 * zone can shift them.
 */
export function messageColumns(l: TableLayout): string {
  const { c } = l;
  return [
    `${c.position} AS \`position\``,
    `${c.id} AS id`,
    `${c.topic} AS topic`,
    `${c.key} AS msg_key`,
    `${c.payload} AS payload`,
    `${c.contentType} AS content_type`,
    `${c.headers} AS headers`,
    `${c.dedupKey} AS dedup_key`,
    `${isoUtc(c.createdAt)} AS created_at`,
    `${isoUtc(c.availableAt)} AS available_at`,
    `${c.attempts} AS attempts`,
  ].join(', ');
}

export const isoUtc = (column: string) => `DATE_FORMAT(${column}, '%Y-%m-%dT%H:%i:%s.%fZ')`;

/** A Date as UTC DATETIME text (to go through `CAST(? AS DATETIME(n))`), whatever the driver's `timezone` option. */
export const utcDatetime = (d: Date) => d.toISOString().slice(0, 23).replace('T', ' ');

/** How a relay holds what it claimed: a lease stamped on the rows, or the claim transaction's row locks. */
export type MysqlClaimMode = 'lease' | 'lock';

/** The relay's statements. Position and id lists are expanded to one placeholder per element. */
export function relayStatements(l: TableLayout, markProcessed: boolean, timeoutMs: number, mode: MysqlClaimMode) {
  const { c, table } = l;
  const t = (sql: string) => timed(sql, timeoutMs);
  const pending = `${c.processedAt} IS NULL AND ${c.deadAt} IS NULL`;
  const clearLease = `${c.leaseToken} = NULL, ${c.leaseUntil} = NULL`;
  const claimable = `${pending} AND ${c.availableAt} <= ${NOW} AND (${c.leaseUntil} IS NULL OR ${c.leaseUntil} <= ${NOW})`;
  // A lease is fenced by its token (the last parameter); a lock-mode claim by its transaction.
  const owned = (n: number) => `${c.position} IN (${placeholders(n)})${mode === 'lease' ? ` AND ${c.leaseToken} = ?` : ''}`;
  // The history goes first: MySQL's assignments see the ones before them (MariaDB's too, unless
  // SIMULTANEOUS_ASSIGNMENT), so it reads `attempts` before it is raised.
  const failed = `${c.attemptHistory} = ${appendAttemptSql(l)}, ${c.attempts} = ${c.attempts} + 1, ${c.lastError} = ?`;
  return {
    /** Params: limit. Locks the candidates; rows locked by another claim are skipped, not waited for. */
    candidates: t(`SELECT ${messageColumns(l)} FROM ${table} WHERE ${claimable} ORDER BY ${c.position} LIMIT ? FOR UPDATE SKIP LOCKED`),
    /**
     * A later scan of the same claim (core/ordering.ts). Params: after position, the excluded keys,
     * limit. Held to the pending index, the first scan's path: through the key index, a locking read
     * locks index records of rows another claim holds, and its acknowledgement then deadlocks.
     */
    candidatesAfter: (excluded: number) =>
      t(
        `SELECT ${messageColumns(l)} FROM ${table} FORCE INDEX (${l.quote(INDEX.pending)}) WHERE ${claimable} AND ${c.position} > ?${excluded > 0 ? ` AND (${c.key} IS NULL OR ${c.key} NOT IN (${placeholders(excluded)}))` : ''} ORDER BY ${c.position} LIMIT ? FOR UPDATE SKIP LOCKED`,
      ),
    /** Params per key: key, key, n. The n oldest pending positions of each key, whatever their state. */
    heads: (keys: number) => {
      const one = `(SELECT ? AS k, ${c.position} AS pos FROM ${table} WHERE ${c.key} = ? AND ${pending} ORDER BY ${c.position} LIMIT ?)`;
      return t(`SELECT k, pos FROM (${Array.from({ length: keys }, () => one).join(' UNION ALL ')}) AS heads`);
    },
    /** Params: token, lease length in microseconds, positions. */
    lease: (n: number) => t(`UPDATE ${table} SET ${c.leaseToken} = ?, ${c.leaseUntil} = ${NOW} + INTERVAL ? MICROSECOND WHERE ${c.position} IN (${placeholders(n)})`),
    /** Params: positions, then the token in lease mode. */
    done: (n: number) =>
      t(
        markProcessed
          ? `UPDATE ${table} SET ${c.processedAt} = ${NOW}, ${clearLease} WHERE ${owned(n)}`
          : // By primary key, forced: on a small table the optimizer may scan instead, locking rows
            // other claims hold, and two acknowledgements then deadlock.
            `DELETE ${table} FROM ${table} FORCE INDEX (PRIMARY) WHERE ${owned(n)}`,
      ),
    /** Params: error, relay (the history's), error, retry delay in microseconds, positions, then the token in lease mode. */
    retry: (n: number) =>
      t(`UPDATE ${table} SET ${failed}, ${c.availableAt} = ${NOW} + INTERVAL ? MICROSECOND, ${clearLease} WHERE ${owned(n)}`),
    /** Params: error, relay (the history's), error, positions, then the token in lease mode. */
    bury: (n: number) => t(`UPDATE ${table} SET ${failed}, ${c.deadAt} = ${NOW}, ${clearLease} WHERE ${owned(n)}`),
    /** Params: positions, then the token in lease mode. */
    release: (n: number) => t(`UPDATE ${table} SET ${clearLease} WHERE ${owned(n)}`),
  };
}

/**
 * The attempt history of the row with one more failed attempt (params: error, relay), the
 * oldest dropped past ATTEMPT_HISTORY_LIMIT; anything but a JSON array (a value written by hand)
 * starts a new history. Written only with a failure, so a delivery writes nothing more for it.
 * CASE evaluates lazily: JSON_TYPE never sees text that is not JSON.
 */
function appendAttemptSql(l: TableLayout): string {
  const { c } = l;
  const h = c.attemptHistory;
  const list = `(CASE WHEN JSON_VALID(${h}) THEN CASE WHEN JSON_TYPE(${h}) = 'ARRAY' THEN ${h} END END)`;
  const base = `CASE WHEN ${list} IS NULL THEN JSON_ARRAY() WHEN JSON_LENGTH(${list}) >= ${ATTEMPT_HISTORY_LIMIT} THEN JSON_REMOVE(${list}, '$[0]') ELSE ${list} END`;
  const at = `TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', ${NOW}) DIV 1000`;
  return `JSON_ARRAY_APPEND(${base}, '$', JSON_OBJECT('attempt', ${c.attempts} + 1, 'at', ${at}, 'error', ?, 'relay', ?))`;
}

/** Cleanup and dead-letter statements: reads never lock, writes find rows by key (no gap locks). */
export function maintenanceStatements(l: TableLayout, timeoutMs: number) {
  const { c, table } = l;
  const t = (sql: string) => timed(sql, timeoutMs);
  const dead = `${c.processedAt} IS NULL AND ${c.deadAt} IS NOT NULL`;
  return {
    /** Params: max age in microseconds, limit. */
    processed: t(`SELECT ${c.position} AS pos FROM ${table} WHERE ${c.processedAt} IS NOT NULL AND ${c.processedAt} < ${NOW} - INTERVAL ? MICROSECOND ORDER BY ${c.processedAt} LIMIT ?`),
    /** Params: positions. */
    removeProcessed: (n: number) => t(`DELETE FROM ${table} WHERE ${c.position} IN (${placeholders(n)}) AND ${c.processedAt} IS NOT NULL`),
    /** Params: limit. */
    listDead: t(`SELECT ${messageColumns(l)}, ${c.lastError} AS last_error, ${isoUtc(c.deadAt)} AS dead_at FROM ${table} WHERE ${dead} ORDER BY ${c.position} LIMIT ?`),
    /** Params: LIKE pattern of a header (see headerPattern), limit. */
    listDeadWithHeader: t(`SELECT ${messageColumns(l)}, ${c.lastError} AS last_error, ${isoUtc(c.deadAt)} AS dead_at FROM ${table} WHERE ${dead} AND ${c.headers} LIKE ? ESCAPE '!' ORDER BY ${c.position} LIMIT ?`),
    /** Params: ids. Requeued in place: each keeps its position. */
    requeue: (n: number) =>
      t(`UPDATE ${table} SET ${c.deadAt} = NULL, ${c.attempts} = 0, ${c.lastError} = NULL, ${c.availableAt} = ${NOW}, ${c.leaseToken} = NULL, ${c.leaseUntil} = NULL WHERE ${c.id} IN (${placeholders(n)}) AND ${dead}`),
    /** Params: ids. The dead letters among them, with their positions. */
    deadOf: (n: number) => t(`SELECT ${c.id} AS id, CAST(${c.position} AS CHAR) AS pos FROM ${table} WHERE ${c.id} IN (${placeholders(n)}) AND ${dead}`),
    /**
     * Requeued at the end, in one transaction: an AUTO_INCREMENT value can only be taken by an
     * insert (an UPDATE to a higher position could meet one a writer is about to commit), so the
     * row is written anew with txbox's columns. Its id moves aside (params: stand-in id, id), a
     * copy under the real id is inserted (params: id, stand-in id; a pending dedup key makes it
     * fail with the dedup index's duplicate-key error), and the old row goes (params: stand-in id).
     */
    atEnd: {
      aside: t(`UPDATE ${table} SET ${c.id} = ? WHERE ${c.id} = ? AND ${dead}`),
      copy: t(`INSERT INTO ${table} (${[c.id, c.topic, c.key, c.payload, c.contentType, c.headers, c.dedupKey, c.createdAt, c.availableAt, c.attemptHistory].join(', ')})
SELECT ?, ${[c.topic, c.key, c.payload, c.contentType, c.headers, c.dedupKey, c.createdAt].join(', ')}, ${NOW}, ${c.attemptHistory} FROM ${table} WHERE ${c.id} = ?`),
      remove: t(`DELETE FROM ${table} WHERE ${c.id} = ?`),
    },
    /** Params: ids. */
    discard: (n: number) => t(`DELETE FROM ${table} WHERE ${c.id} IN (${placeholders(n)}) AND ${dead}`),
  };
}

/**
 * Debounce: the pending message of a dedup key is found with a plain read (no lock, no gap lock
 * at REPEATABLE READ) and rewritten by primary key, checking again that it is still pending under
 * that key and that no live lease holds it. An expired lease is cleared with the rewrite, so the
 * relay that held it cannot acknowledge the new content it never delivered.
 */
export function replaceStatements(l: TableLayout, pendingDedup: string) {
  const { c, table } = l;
  return {
    /** Params: dedup key. The generated column holds the key's utf8mb4 bytes, whatever the connection's character set. */
    find: `SELECT ${c.position} AS pos FROM ${table} WHERE ${pendingDedup} = CAST(CONVERT(? USING utf8mb4) AS BINARY)`,
    /**
     * The row again by primary key, forced: left alone the optimizer takes the pending or dedup
     * index, where a row that stopped matching would lock a gap at REPEATABLE READ (the pending
     * index's gap is where every new message goes). The primary key holds a deleted row's
     * record while the transaction's snapshot still sees it, so no gap new rows need is locked.
     * Params: id, payload, content type, headers, available at (UTC text or NULL), delay in
     * microseconds, position, dedup key.
     */
    replace: `UPDATE ${table} FORCE INDEX (PRIMARY) SET ${c.id} = ?, ${c.payload} = ?, ${c.contentType} = ?, ${c.headers} = ?,
  ${c.availableAt} = COALESCE(CAST(? AS DATETIME(6)), ${NOW} + INTERVAL ? MICROSECOND), ${c.leaseToken} = NULL, ${c.leaseUntil} = NULL
WHERE ${c.position} = ? AND ${c.dedupKey} = ? AND ${c.processedAt} IS NULL AND ${c.deadAt} IS NULL AND (${c.leaseUntil} IS NULL OR ${c.leaseUntil} <= ${NOW})`,
  };
}

/** Per message: id, topic, key, payload, content type, headers, dedup key, available at (UTC text or NULL), delay in microseconds. */
export const INSERT_PARAMS = 9;

export function insertSql(l: TableLayout, rows: number): string {
  const { c } = l;
  const row = `(?, ?, ?, ?, ?, ?, ?, ${NOW}, COALESCE(CAST(? AS DATETIME(6)), ${NOW} + INTERVAL ? MICROSECOND))`;
  const columns = [c.id, c.topic, c.key, c.payload, c.contentType, c.headers, c.dedupKey, c.createdAt, c.availableAt].join(', ');
  return `INSERT INTO ${l.table} (${columns}) VALUES ${Array.from({ length: rows }, () => row).join(', ')}`;
}

/** Length of the INSERT text around its rows, and of one row without its values. */
export function insertOverhead(l: TableLayout): { statement: number; row: number } {
  const one = insertSql(l, 1);
  const row = one.slice(one.indexOf('VALUES ') + 7);
  return { statement: one.length - row.length, row: row.length + 2 };
}
