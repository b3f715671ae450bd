import { invalidArgument, schemaMissing, TxboxError } from '../../core/errors.js';
import type { EncodedMessage } from '../../core/message.js';
import type { WriteResult } from '../../core/store.js';
import type { TableLayout } from '../shared/layout.js';
import { encodeHeaders } from '../shared/rows.js';
import { sqlCache } from '../shared/sql-cache.js';
import { affectedRows, checkTransactionHandle, duplicateKeyIndex, isNoSuchTable, selectRows, type MysqlQueryable } from './driver.js';
import { INDEX } from './schema.js';
import { insertOverhead, insertSql, replaceStatements } from './sql.js';

const MAX_ROWS_PER_INSERT = 500;
/** Room kept in every packet for the protocol header. */
const PACKET_MARGIN = 1024;
const LAST_DATETIME_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

interface Row {
  readonly message: EncodedMessage;
  readonly index: number;
  readonly values: unknown[];
  readonly bytes: number;
}

/**
 * The write path, inside the caller's transaction. A statement larger than max_allowed_packet
 * makes the server drop the connection, and the caller's transaction with it; so sizes are
 * checked here first, against the server's limit read once, and a message too large fails alone
 * with PAYLOAD_TOO_LARGE before anything is sent. The text protocol sends bytes hex-encoded, so
 * a payload costs twice its size in the statement.
 *
 * Dedup relies on the unique index over the pending dedup key: an INSERT that hits it is rolled
 * back by InnoDB on its own (the transaction stays usable), then the rows go one by one and the
 * ones hitting the dedup index are reported as duplicates. The unique check reads the latest
 * committed rows, not the transaction's snapshot, so it is right under REPEATABLE READ; a racing
 * transaction holding the same key waits for the first to end. A duplicate id is never mistaken
 * for a dedup hit: the error names the index, and only the dedup index means "skip".
 *
 * `replacePending` (debounce) passes the same size check first; how it avoids gap locks is told
 * at replaceStatements in sql.ts.
 */
export function mysqlWriter(l: TableLayout, pendingDedup: string) {
  const overhead = insertOverhead(l);
  const statements = sqlCache();
  const insert = (rows: number) => statements.get(String(rows), () => insertSql(l, rows));
  let maxPacket: Promise<number> | undefined;
  const readMaxPacket = (tx: MysqlQueryable) => {
    maxPacket ??= selectRows(tx, 'SELECT @@max_allowed_packet AS n').then((r) => Number(r[0]?.n));
    return maxPacket.catch((error) => {
      maxPacket = undefined;
      throw error;
    });
  };

  const insertRows = async (tx: MysqlQueryable, rows: readonly Row[], atomic: boolean): Promise<string[]> => {
    try {
      await tx.query(insert(rows.length), rows.flatMap((r) => r.values));
      return [];
    } catch (error) {
      if (isNoSuchTable(error)) throw schemaMissing('outbox', error);
      const index = duplicateKeyIndex(error);
      if (index === undefined) throw error;
      if (index !== INDEX.dedup) throw duplicateId(error, rows);
      if (rows.length === 1) return [rows[0]!.message.id];
    }
    // The failed INSERT left nothing behind; retry row by row to find the duplicates.
    const oneByOne = async () => {
      const duplicates: string[] = [];
      for (const row of rows) duplicates.push(...(await insertRows(tx, [row], true)));
      return duplicates;
    };
    return atomic ? oneByOne() : withSavepoint(tx, oneByOne);
  };

  const write = async (tx: MysqlQueryable, messages: readonly EncodedMessage[]): Promise<WriteResult> => {
    checkTransactionHandle(tx, undefined);
    const limit = await readMaxPacket(tx);
    const budget = limit - PACKET_MARGIN - overhead.statement;
    const rows = messages.map((m, i) => toRow(m, i, overhead.row));
    const tooLarge = rows.find((r) => r.bytes > budget);
    if (tooLarge) throw payloadTooLarge(tooLarge, limit);
    const chunks = chunk(rows, budget);
    if (chunks.length === 1) return { duplicates: await insertRows(tx, chunks[0]!, false) };
    // Several statements: a failure in a later one must not leave the earlier ones behind.
    return withSavepoint(tx, async () => {
      const duplicates: string[] = [];
      for (const rows of chunks) duplicates.push(...(await insertRows(tx, rows, true)));
      return { duplicates };
    });
  };

  const replace = replaceStatements(l, pendingDedup);
  const replacePending = async (tx: MysqlQueryable, m: EncodedMessage): Promise<boolean> => {
    checkTransactionHandle(tx, undefined);
    if (m.dedupKey === null) return false;
    // An INSERT row carries every value of the UPDATE and more: its size bounds the statement's.
    const row = toRow(m, 0, overhead.row);
    const limit = await readMaxPacket(tx);
    if (row.bytes > limit - PACKET_MARGIN - replace.replace.length) throw payloadTooLarge(row, limit);
    const [found] = await selectRows<{ pos: unknown }>(tx, replace.find, [m.dedupKey]).catch((error) => {
      throw isNoSuchTable(error) ? schemaMissing('outbox', error) : error;
    });
    if (!found) return false;
    const [id, , , payload, contentType, headers, , availableAt, delayUs] = row.values;
    try {
      return (await affectedRows(tx, replace.replace, [id, payload, contentType, headers, availableAt, delayUs, found.pos, m.dedupKey])) === 1;
    } catch (error) {
      // The dedup key does not change; only the new id can collide.
      if (duplicateKeyIndex(error) !== undefined) throw duplicateId(error, [row]);
      throw error;
    }
  };

  return { write, replacePending };
}

function toRow(m: EncodedMessage, index: number, rowOverhead: number): Row {
  const [availableAt, delayUs] = availability(m, index);
  const payload = Buffer.from(m.payload.buffer, m.payload.byteOffset, m.payload.byteLength);
  const values = [m.id, m.topic, m.key, payload, m.contentType, encodeHeaders(m.headers), m.dedupKey, availableAt, delayUs];
  return { message: m, index, values, bytes: rowOverhead + values.reduce<number>((sum, v) => sum + escapedLength(v), 0) };
}

/** An explicit instant as UTC DATETIME text, or a delay the server adds to its own clock. */
function availability(m: EncodedMessage, index: number): [string | null, number] {
  if (m.availableAt) {
    const ms = m.availableAt.getTime();
    if (ms > LAST_DATETIME_MS) throw invalidArgument(`messages[${index}].availableAt`, m.availableAt, 'must be before the year 10000 (the DATETIME range)');
    if (m.availableAt.getUTCFullYear() < 1000) return [null, 0];
    return [m.availableAt.toISOString().slice(0, 23).replace('T', ' '), 0];
  }
  if (Date.now() + m.delayMs > LAST_DATETIME_MS) throw invalidArgument(`messages[${index}].delayMs`, m.delayMs, 'must end before the year 10000 (the DATETIME range)');
  return [null, Math.round(m.delayMs * 1000)];
}

/** Bytes a value takes once the driver has escaped it into the statement text. */
function escapedLength(v: unknown): number {
  if (v === null || v === undefined) return 4;
  if (Buffer.isBuffer(v)) return 3 + 2 * v.length;
  if (typeof v === 'string') return 2 + Buffer.byteLength(v) + (v.match(/[\0\b\t\n\r\x1a"'\\]/g)?.length ?? 0);
  return String(v).length;
}

function chunk(rows: readonly Row[], budget: number): Row[][] {
  const chunks: Row[][] = [];
  let current: Row[] = [];
  let bytes = 0;
  for (const row of rows) {
    if (current.length > 0 && (current.length >= MAX_ROWS_PER_INSERT || bytes + row.bytes > budget)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(row);
    bytes += row.bytes;
  }
  chunks.push(current);
  return chunks;
}

async function withSavepoint<T>(tx: MysqlQueryable, fn: () => Promise<T>): Promise<T> {
  await tx.query('SAVEPOINT txbox_write');
  let result: T;
  try {
    result = await fn();
  } catch (error) {
    // Outside a transaction (autocommit) there is no savepoint to go back to: ignore that.
    await tx.query('ROLLBACK TO SAVEPOINT txbox_write').catch(() => {});
    throw error;
  }
  await tx.query('RELEASE SAVEPOINT txbox_write').catch(() => {});
  return result;
}

function payloadTooLarge(row: Row, limit: number): TxboxError {
  const m = row.message;
  const headerBytes = m.headers ? Buffer.byteLength(JSON.stringify(m.headers)) : 0;
  const part = headerBytes > m.payload.byteLength ? 'headers' : 'payload';
  const size = part === 'headers' ? headerBytes : m.payload.byteLength;
  return new TxboxError(
    'PAYLOAD_TOO_LARGE',
    `message ${m.id} (messages[${row.index}]) needs about ${row.bytes} bytes in its statement (its ${part} is ${size} bytes; bytes travel hex-encoded), ` +
      `more than the server's max_allowed_packet of ${limit} bytes allows; nothing was written for this call`,
    { field: `messages[${row.index}].${part}`, value: size },
  );
}

function duplicateId(error: unknown, rows: readonly Row[]): TxboxError {
  const entry = /Duplicate entry '([^']*)'/.exec(String((error as { sqlMessage?: unknown })?.sqlMessage ?? ''))?.[1];
  const row = rows.find((r) => r.message.id === entry);
  const ids = row ? row.message.id : rows.map((r) => r.message.id).join(', ');
  return new TxboxError('DUPLICATE_ID', `a message with ${row ? 'id' : 'one of these ids'} ${ids} already exists`, {
    cause: error,
    field: row ? `messages[${row.index}].id` : 'messages',
    value: row?.message.id,
  });
}
