import { markMalformed, type OutboxMessage } from '../../core/message.js';
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
  const { headers, problem } = parseHeaders(r.headers);
  const message: OutboxMessage = {
    id: String(r.id),
    topic: r.topic,
    key: r.msg_key,
    payload: typeof r.payload === 'string' ? Buffer.from(r.payload) : r.payload,
    contentType: r.content_type,
    headers,
    createdAt: toDate(r.created_at),
    availableAt: toDate(r.available_at),
    attempts: Number(r.attempts),
    dedupKey: r.dedup_key,
  };
  return problem ? markMalformed(message, problem) : message;
}

/** Headers are a JSON object of strings; anything else (a row written by hand) is reported, not thrown. */
function parseHeaders(text: string | null): { headers: Record<string, string>; problem?: string } {
  if (!text) return { headers: {} };
  try {
    const value: unknown = JSON.parse(text);
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string')) {
      return { headers: value as Record<string, string> };
    }
  } catch {
    // reported below
  }
  return { headers: {}, problem: `malformed row: headers must be a JSON object of strings, got ${JSON.stringify(text.slice(0, 80))}` };
}

export function rowToDeadLetter(r: MessageRow & { last_error: string | null; dead_at: Date | number | string }): DeadLetter {
  return { ...rowToMessage(r), error: r.last_error, deadAt: toDate(r.dead_at) };
}

export const encodeHeaders = (h: Readonly<Record<string, string>> | null) => (h === null ? null : JSON.stringify(h));
