import { schemaMissing, TxboxError } from '../../core/errors.js';
import type { EncodedMessage } from '../../core/message.js';
import type { TableLayout } from '../shared/layout.js';
import { encodeHeaders } from '../shared/rows.js';
import { sqlCache } from '../shared/sql-cache.js';
import { isUndefinedTable, isUniqueViolation } from './driver.js';
import { ms } from './sql.js';

/** What a chunk of messages sets beyond the five columns every message has. */
interface Shape {
  headers: boolean;
  dedup: boolean;
  /** Some message has `availableAt` or a delay; otherwise the column's default (now()) is right. */
  timing: boolean;
}

export interface InsertStatement {
  sql: string;
  values: unknown[];
  /** The statement returns the ids it stored (a dedup conflict stores nothing). */
  returnsIds: boolean;
}

/**
 * Builds the INSERT of a chunk of messages with only the columns the chunk uses, so the common
 * message (no headers, no dedup key, no delay) costs the server what a hand-written five-column
 * INSERT costs. Statements are cached per shape and row count, within a bounded size.
 */
export interface InsertBuilder {
  (chunk: readonly EncodedMessage[]): InsertStatement;
  /** Characters of SQL text cached (bounded, see sqlCache). */
  readonly cachedChars: () => number;
}

export function insertBuilder(l: TableLayout): InsertBuilder {
  const cache = sqlCache();
  const build = (chunk: readonly EncodedMessage[]): InsertStatement => {
    const shape: Shape = {
      headers: chunk.some((m) => m.headers !== null),
      dedup: chunk.some((m) => m.dedupKey !== null),
      timing: chunk.some((m) => m.availableAt !== null || m.delayMs !== 0),
    };
    const k = `${chunk.length}:${+shape.headers}${+shape.dedup}${+shape.timing}`;
    const sql = cache.get(k, () => insertSql(l, chunk.length, shape));
    const values: unknown[] = [];
    for (const m of chunk) {
      values.push(m.id, m.topic, m.key, m.payload, m.contentType);
      if (shape.headers) values.push(encodeHeaders(m.headers));
      if (shape.dedup) values.push(m.dedupKey);
      if (shape.timing) values.push(m.availableAt, m.delayMs);
    }
    return { sql, values, returnsIds: shape.dedup };
  };
  return Object.assign(build, { cachedChars: () => cache.size });
}

function insertSql(l: TableLayout, rows: number, shape: Shape): string {
  const { c } = l;
  const columns = [c.id, c.topic, c.key, c.payload, c.contentType];
  if (shape.headers) columns.push(c.headers);
  if (shape.dedup) columns.push(c.dedupKey);
  if (shape.timing) columns.push(c.availableAt);
  const perRow = columns.length + (shape.timing ? 1 : 0);
  const tuples = Array.from({ length: rows }, (_, r) => {
    const p = (i: number) => `$${r * perRow + i}`;
    const params = Array.from({ length: shape.timing ? perRow - 2 : perRow }, (_, i) => p(i + 1));
    // The delay counts from this statement, not from the start of a possibly long transaction.
    if (shape.timing) params.push(`coalesce(${p(perRow - 1)}::timestamptz, statement_timestamp() + ${ms(p(perRow))})`);
    return `(${params.join(', ')})`;
  });
  const conflict = shape.dedup
    ? ` ON CONFLICT (${c.dedupKey}) WHERE ${c.dedupKey} IS NOT NULL AND ${c.processedAt} IS NULL AND ${c.deadAt} IS NULL DO NOTHING RETURNING ${c.id} AS id`
    : '';
  return `INSERT INTO ${l.table} (${columns.join(', ')}) VALUES ${tuples.join(', ')}${conflict}`;
}

/**
 * The typed error for a failed INSERT of `chunk`, whose first message is `messages[offset]` of
 * the call: a duplicate id names the message (PostgreSQL's detail says `Key (id)=(…) already
 * exists`), a missing table says to migrate. Other errors are returned as they are.
 */
export function writeError(error: unknown, chunk: readonly EncodedMessage[], offset: number): unknown {
  if (isUndefinedTable(error)) return schemaMissing('outbox', error);
  if (!isUniqueViolation(error)) return error;
  const detail = String((error as { detail?: unknown }).detail ?? '');
  const at = chunk.findIndex((m) => detail.includes(`=(${m.id})`));
  if (at === -1) {
    return new TxboxError('DUPLICATE_ID', `a message with one of these ids already exists: ${chunk.map((m) => m.id).join(', ')}`, { cause: error, field: 'messages' });
  }
  const id = chunk[at]!.id;
  return new TxboxError('DUPLICATE_ID', `a message with id ${id} (messages[${offset + at}]) already exists`, { cause: error, field: `messages[${offset + at}].id`, value: id });
}
