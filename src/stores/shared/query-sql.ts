import type { BlockedKey, MessageDetails, Positioned, ResolvedFilter, StoredMessage, StoredState } from '../../core/queries.js';
import { headerPattern } from './dead-letter-filter.js';
import { failingSince, parseHistory } from './history.js';
import type { TableLayout } from './layout.js';
import { rowToMessage, type MessageRow } from './rows.js';

/**
 * The SQL of the query API, shared by the SQL stores: each dialect says how it writes a
 * parameter, the current time, a time value, a substring test and a position.
 */
export interface QueryDialect {
  /** Adds a parameter and returns its placeholder. */
  param(value: unknown): string;
  /** The store's clock: `now()`, `UTC_TIMESTAMP(6)`, or a parameter holding the process's time. */
  now(): string;
  /** A Date as the column type holds it. */
  time(value: Date): string;
  /** True when `text` occurs in `column` (case-sensitive). */
  contains(column: string, text: string): string;
  /** A position given as decimal text, as the position column's type. */
  position(value: string): string;
}

/** Parameters collected in order; `$n` (PostgreSQL) or `?` placeholders. */
export function collectParams(numbered: boolean): { values: unknown[]; param: (value: unknown) => string } {
  const values: unknown[] = [];
  return {
    values,
    param: (value) => {
      values.push(value);
      return numbered ? `$${values.length}` : '?';
    },
  };
}

/** The condition of one state. `dead` reads as the dead-letter index does (`dead_at IS NOT NULL`). */
export function stateCondition(l: TableLayout, state: ResolvedFilter['state'], d: QueryDialect): string {
  const { c } = l;
  const pending = `${c.processedAt} IS NULL AND ${c.deadAt} IS NULL`;
  if (state === 'pending') return pending;
  if (state === 'dead') return `${c.deadAt} IS NOT NULL`;
  if (state === 'inFlight') return `${pending} AND ${c.leaseUntil} > ${d.now()}`;
  const free = `(${c.leaseUntil} IS NULL OR ${c.leaseUntil} <= ${d.now()})`;
  return `${pending} AND ${c.availableAt} ${state === 'due' ? '<=' : '>'} ${d.now()} AND ${free}`;
}

/** The WHERE clause of a filter, with the rows after position `after` when given. */
export function filterWhere(l: TableLayout, f: ResolvedFilter, d: QueryDialect, after: string | null = null): string {
  const { c } = l;
  const parts = [stateCondition(l, f.state, d)];
  if (f.topic !== undefined) parts.push(`${c.topic} = ${d.param(f.topic)}`);
  if (f.key !== undefined) parts.push(`${c.key} = ${d.param(f.key)}`);
  if (f.createdBefore !== undefined) parts.push(`${c.createdAt} < ${d.time(f.createdBefore)}`);
  if (f.createdAfter !== undefined) parts.push(`${c.createdAt} > ${d.time(f.createdAfter)}`);
  if (f.error !== undefined) parts.push(`${c.lastError} IS NOT NULL AND ${d.contains(c.lastError, f.error)}`);
  if (f.header !== undefined) parts.push(`${c.headers} LIKE ${d.param(headerPattern(f.header))} ESCAPE '!'`);
  if (after !== null) parts.push(`${c.position} > ${d.position(after)}`);
  return parts.join(' AND ');
}

/** The stored state of a row, as the query API names it. */
export function stateColumn(l: TableLayout, d: QueryDialect): string {
  const { c } = l;
  return `CASE WHEN ${c.processedAt} IS NOT NULL THEN 'processed' WHEN ${c.deadAt} IS NOT NULL THEN 'dead'
  WHEN ${c.leaseUntil} > ${d.now()} THEN 'inFlight' WHEN ${c.availableAt} > ${d.now()} THEN 'delayed' ELSE 'due' END`;
}

/**
 * Heads of blocked keys: keyed rows that are dead or failing (attempts > 0, pending) with no
 * older undelivered row of their key, each with the count of pending rows behind it. Reads the
 * pending-key index for older pending rows and the dead index for older dead ones.
 * `columns` are unqualified: in the outer select they can only name the head's row.
 */
export function blockedSql(l: TableLayout, d: QueryDialect, columns: string, after: string | null, limit: number): string {
  const { c, table } = l;
  const pending = (a: string) => `${a}.${c.processedAt} IS NULL AND ${a}.${c.deadAt} IS NULL`;
  return `SELECT ${columns},
  (SELECT count(*) FROM ${table} b WHERE b.${c.key} = h.${c.key} AND ${pending('b')} AND b.${c.position} > h.${c.position}) AS behind
FROM ${table} h
WHERE h.${c.key} IS NOT NULL AND h.${c.processedAt} IS NULL AND (h.${c.deadAt} IS NOT NULL OR h.${c.attempts} > 0)
  ${after === null ? '' : `AND h.${c.position} > ${d.position(after)}`}
  AND NOT EXISTS (SELECT 1 FROM ${table} o WHERE o.${c.key} = h.${c.key} AND ${pending('o')} AND o.${c.position} < h.${c.position})
  AND NOT EXISTS (SELECT 1 FROM ${table} o WHERE o.${c.deadAt} IS NOT NULL AND o.${c.key} = h.${c.key} AND o.${c.position} < h.${c.position})
ORDER BY h.${c.position} LIMIT ${d.param(limit)}`;
}

/** What a query selects besides the message columns of rows.ts. */
export interface StoredRow extends MessageRow {
  pos: string | number;
  state: StoredState;
  last_error: string | null;
  dead_at: Date | number | string | null;
}

const toDate = (v: Date | number | string) => (v instanceof Date ? v : new Date(typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v));

export function rowToStored(r: StoredRow): Positioned<StoredMessage> {
  const value: StoredMessage = { ...rowToMessage(r), state: r.state, lastError: r.last_error, deadAt: r.dead_at === null ? null : toDate(r.dead_at) };
  return { position: String(r.pos), value };
}

/** A row read with its attempt history (selected as `history`). */
export function rowToDetails(r: StoredRow & { history: unknown }): MessageDetails {
  return { ...rowToStored(r).value, history: parseHistory(r.history) };
}

/** Blocked heads are read with their history, which tells when a failing head's run of failures began. */
export function rowToBlocked(r: StoredRow & { behind: number | string; history: unknown }): Positioned<BlockedKey> {
  const { position, value: head } = rowToStored(r);
  const reason = head.deadAt !== null ? 'dead' : 'failing';
  const since = reason === 'dead' ? head.deadAt! : failingSince(parseHistory(r.history), head.createdAt);
  return { position, value: { key: head.key!, reason, head, since, behind: Number(r.behind) } };
}
