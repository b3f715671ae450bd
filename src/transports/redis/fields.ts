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

/** Reads an entry back (fields as Buffers, from XREADGROUP through `callBuffer`). */
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
    headers: headers ? (JSON.parse(headers) as Record<string, string>) : {},
    payload: f.get(FIELD.payload) ?? Buffer.alloc(0),
    contentType: text(FIELD.contentType) ?? null,
  };
}
