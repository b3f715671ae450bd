import { ATTEMPT_HISTORY_LIMIT } from '../../core/queries.js';
import type { TableLayout } from '../shared/layout.js';
import { messageColumns } from '../shared/rows.js';

/** SQLite statements. Lists of positions travel as one JSON array parameter read with json_each. */
export function sqliteStatements(l: TableLayout, markProcessed: boolean) {
  const { c, table } = l;
  const pending = `${c.processedAt} IS NULL AND ${c.deadAt} IS NULL`;
  const inList = (param = '?') => `${c.position} IN (SELECT value FROM json_each(${param}))`;
  const owned = `${c.leaseToken} = ?`;
  const clearLease = `${c.leaseToken} = NULL, ${c.leaseUntil} = NULL`;
  const claimable = `${pending} AND ${c.availableAt} <= ? AND (${c.leaseUntil} IS NULL OR ${c.leaseUntil} <= ?)`;
  const cols = `${c.id}, ${c.topic}, ${c.key}, ${c.payload}, ${c.contentType}, ${c.headers}, ${c.dedupKey}, ${c.createdAt}, ${c.availableAt}`;
  // The history with one more attempt (params: at, error, relay), the oldest dropped past the
  // limit; anything but a JSON array (a value written by hand) starts a new history. SET
  // expressions read the row as it was, so `attempts + 1` is this attempt's number.
  const h = c.attemptHistory;
  const list = `CASE WHEN json_valid(${h}) AND json_type(${h}) = 'array' THEN ${h} ELSE '[]' END`;
  const appendAttempt = `json_insert(CASE WHEN json_array_length(${list}) >= ${ATTEMPT_HISTORY_LIMIT} THEN json_remove(${list}, '$[0]') ELSE ${list} END, '$[#]', json_object('attempt', ${c.attempts} + 1, 'at', ?, 'error', ?, 'relay', ?))`;
  const nextPosition = `(SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = '${l.bareTable}'), 0), coalesce((SELECT max(${c.position}) FROM ${table}), 0)) + 1)`;
  const back = `${c.deadAt} = NULL, ${c.attempts} = 0, ${c.lastError} = NULL, ${c.availableAt} = ?, ${clearLease}`;
  return {
    insert: `INSERT INTO ${table} (${cols}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    insertDedup: `INSERT INTO ${table} (${cols}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (${c.dedupKey}) WHERE ${c.dedupKey} IS NOT NULL AND ${pending} DO NOTHING`,
    // Params: id, payload, content type, headers, available at, dedup key, now. Only while no lease
    // holds it; an expired lease is cleared, so its relay cannot acknowledge content it never published.
    replacePending: `UPDATE ${table} SET ${c.id} = ?, ${c.payload} = ?, ${c.contentType} = ?, ${c.headers} = ?, ${c.availableAt} = ?, ${clearLease} WHERE ${c.dedupKey} = ? AND ${pending} AND (${c.leaseUntil} IS NULL OR ${c.leaseUntil} <= ?)`,
    // Params: now, now, limit.
    candidates: `SELECT ${messageColumns(l)} FROM ${table} WHERE ${claimable} ORDER BY ${c.position} LIMIT ?`,
    // A later scan of the same claim (core/ordering.ts). Params: now, now, after position, excluded keys (JSON), limit.
    candidatesAfter: `SELECT ${messageColumns(l)} FROM ${table} WHERE ${claimable} AND ${c.position} > ? AND (${c.key} IS NULL OR ${c.key} NOT IN (SELECT value FROM json_each(?))) ORDER BY ${c.position} LIMIT ?`,
    // Params: key, n.
    heads: `SELECT ${c.position} AS position FROM ${table} WHERE ${c.key} = ? AND ${pending} ORDER BY ${c.position} LIMIT ?`,
    // Params: token, lease until, positions.
    lease: `UPDATE ${table} SET ${c.leaseToken} = ?, ${c.leaseUntil} = ? WHERE ${inList()}`,
    // Params: (now,) positions, token.
    done: markProcessed
      ? `UPDATE ${table} SET ${c.processedAt} = ?, ${clearLease} WHERE ${inList()} AND ${owned}`
      : `DELETE FROM ${table} WHERE ${inList()} AND ${owned}`,
    // Params: error, now, error, relay, available at, dead at, position, token. The attempt
    // history is written by this statement only, so a delivery writes nothing more for it.
    fail: `UPDATE ${table} SET ${c.attempts} = ${c.attempts} + 1, ${c.lastError} = ?, ${c.attemptHistory} = ${appendAttempt}, ${c.availableAt} = ?, ${c.deadAt} = ?, ${clearLease} WHERE ${c.position} = ? AND ${owned}`,
    // Params: positions, token.
    release: `UPDATE ${table} SET ${clearLease} WHERE ${inList()} AND ${owned}`,
    // Params: cutoff, limit.
    cleanup: `DELETE FROM ${table} WHERE ${c.position} IN (SELECT ${c.position} FROM ${table} WHERE ${c.processedAt} IS NOT NULL AND ${c.processedAt} < ? ORDER BY ${c.processedAt} LIMIT ?)`,
    listDead: `SELECT ${messageColumns(l)}, ${c.lastError} AS last_error, ${c.deadAt} AS dead_at FROM ${table} WHERE ${c.deadAt} IS NOT NULL ORDER BY ${c.position} LIMIT ?`,
    // Params: LIKE pattern of a header (see headerPattern), limit.
    listDeadWithHeader: `SELECT ${messageColumns(l)}, ${c.lastError} AS last_error, ${c.deadAt} AS dead_at FROM ${table} WHERE ${c.deadAt} IS NOT NULL AND ${c.headers} LIKE ? ESCAPE '!' ORDER BY ${c.position} LIMIT ?`,
    // Params: now, ids. Requeued in place: each keeps its position.
    requeue: `UPDATE ${table} SET ${back} WHERE ${c.deadAt} IS NOT NULL AND ${c.id} IN (SELECT value FROM json_each(?))`,
    // Params: ids. The dead letters among them, in position order.
    deadInOrder: `SELECT ${c.id} AS id FROM ${table} WHERE ${c.deadAt} IS NOT NULL AND ${c.id} IN (SELECT value FROM json_each(?)) ORDER BY ${c.position}`,
    // Params: now, id. Requeued at the end: the position AUTOINCREMENT would give the next row
    // (one past the highest ever handed out, which sqlite_sequence keeps), taken under the
    // write lock; sqlite_sequence is then raised to it (\`seqAtEnd\`), so no later insert reuses it.
    requeueAtEnd: `UPDATE ${table} SET ${c.position} = ${nextPosition}, ${back} WHERE ${c.deadAt} IS NOT NULL AND ${c.id} = ?`,
    seqAtEnd: `UPDATE sqlite_sequence SET seq = (SELECT max(${c.position}) FROM ${table}) WHERE name = '${l.bareTable}' AND seq < (SELECT max(${c.position}) FROM ${table})`,
    discard: `DELETE FROM ${table} WHERE ${c.deadAt} IS NOT NULL AND ${c.id} IN (SELECT value FROM json_each(?))`,
  };
}
