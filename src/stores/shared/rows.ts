import type { OutboxMessage } from '../../core/message.js';
import type { DeadLetter } from '../../core/store.js';
import type { TableLayout } from './layout.js';

/** Every SQL store selects messages under these aliases, whatever the user's column names are. */
export function messageColumns(l: TableLayout, alias = ''): string {
  const c = l.c;
  const a = alias ? `${alias}.` : '';
  return [
    `${a}${c.position} AS position`,
    `${a}${c.id} AS id`,
    `${a}${c.topic} AS topic`,
    `${a}${c.key} AS msg_key`,
    `${a}${c.payload} AS payload`,
    `${a}${c.contentType} AS content_type`,
    `${a}${c.headers} AS headers`,
    `${a}${c.dedupKey} AS dedup_key`,
    `${a}${c.createdAt} AS created_at`,
    `${a}${c.availableAt} AS available_at`,
    `${a}${c.attempts} AS attempts`,
  ].join(', ');
}

export interface MessageRow {
  position: unknown;
  id: string;
  topic: string;
  msg_key: string | null;
  payload: Uint8Array | string;
  content_type: string;
  headers: string | null;
  dedup_key: string | null;
  created_at: Date | number | string;
  available_at: Date | number | string;
  attempts: number | string;
}

const toDate = (v: Date | number | string) => (v instanceof Date ? v : new Date(typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v));

export function rowToMessage(r: MessageRow): OutboxMessage {
  return {
    id: String(r.id),
    topic: r.topic,
    key: r.msg_key,
    payload: typeof r.payload === 'string' ? Buffer.from(r.payload) : r.payload,
    contentType: r.content_type,
    headers: r.headers ? (JSON.parse(r.headers) as Record<string, string>) : {},
    createdAt: toDate(r.created_at),
    availableAt: toDate(r.available_at),
    attempts: Number(r.attempts),
    dedupKey: r.dedup_key,
  };
}

export function rowToDeadLetter(r: MessageRow & { last_error: string | null; dead_at: Date | number | string }): DeadLetter {
  return { ...rowToMessage(r), error: r.last_error, deadAt: toDate(r.dead_at) };
}

export const encodeHeaders = (h: Readonly<Record<string, string>> | null) => (h === null ? null : JSON.stringify(h));
