import { PermanentFailure } from '../../core/errors.js';
import type { OutboxMessage } from '../../core/message.js';
import { payloadBuffer, type ReceivedMessage } from '../shared/received.js';
import type { RedisArg } from './types.js';

/** Field names of a stream entry written by txbox. */
export const FIELD = {
  id: 'id',
  topic: 'topic',
  key: 'key',
  contentType: 'content-type',
  headers: 'headers',
  payload: 'payload',
} as const;

/** The entry's fields: absent key and empty headers are left out; the payload goes as raw bytes. */
export function toFields(m: OutboxMessage): RedisArg[] {
  const fields: RedisArg[] = [FIELD.id, m.id, FIELD.topic, m.topic];
  if (m.key !== null) fields.push(FIELD.key, m.key);
  fields.push(FIELD.contentType, m.contentType);
  if (Object.keys(m.headers).length > 0) fields.push(FIELD.headers, JSON.stringify(m.headers));
  fields.push(FIELD.payload, payloadBuffer(m.payload));
  return fields;
}

/**
 * Reads an entry back (fields as Buffers, from XREADGROUP through `callBuffer`). An entry that no
 * retry can read (its `headers` field is not a JSON object of strings) is a `PermanentFailure`,
 * so the consumer dead-letters it like any poison message instead of stalling on it.
 */
export function fromFields(entryId: string, stream: string, raw: readonly Buffer[]): ReceivedMessage {
  const f = new Map<string, Buffer>();
  for (let i = 0; i + 1 < raw.length; i += 2) f.set(raw[i]!.toString('utf8'), raw[i + 1]!);
  const text = (name: string) => f.get(name)?.toString('utf8');
  const headers = text(FIELD.headers);
  return {
    // An entry not written by txbox has no id field: its stream entry id stands in.
    id: text(FIELD.id) ?? entryId,
    topic: text(FIELD.topic) ?? stream,
    key: text(FIELD.key) ?? null,
    headers: headers ? parseHeaders(headers, entryId, stream) : {},
    payload: f.get(FIELD.payload) ?? Buffer.alloc(0),
    contentType: text(FIELD.contentType) ?? null,
  };
}

function parseHeaders(text: string, entryId: string, stream: string): Record<string, string> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw malformed(text, entryId, stream, 'is not JSON', error);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw malformed(text, entryId, stream, 'is not a JSON object');
  for (const v of Object.values(value)) if (typeof v !== 'string') throw malformed(text, entryId, stream, 'has a value that is not a string');
  return value as Record<string, string>;
}

function malformed(text: string, entryId: string, stream: string, what: string, cause?: unknown): PermanentFailure {
  const value = text.length > 200 ? `${text.slice(0, 197)}...` : text;
  return new PermanentFailure(`redis: the headers field of entry ${entryId} in stream ${stream} ${what}`, { field: 'headers', value, cause });
}
