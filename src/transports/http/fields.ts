import { createHmac } from 'node:crypto';
import { HEADER } from '../shared/received.js';

/**
 * Headers the webhook transport adds next to the Standard Webhooks ones. The standard signature
 * covers only `webhook-id`, `webhook-timestamp` and the body, so a captured request could be
 * replayed with another topic, key or headers and still verify. `txbox-signature` closes that:
 * an HMAC (same secrets, same `v1,<base64>` form) over everything a txbox receiver acts on.
 */
export const TXBOX_HTTP_HEADERS = {
  topic: HEADER.topic,
  key: HEADER.key,
  /** The message's own header names, comma-separated, with their case. */
  names: 'txbox-headers',
  /** `base64` when the body is the payload in base64 (option `bodyEncoding`). */
  encoding: 'txbox-encoding',
  signature: 'txbox-signature',
} as const;

/** `raw`: the body is the payload's bytes. `base64`: the body is their base64 text (UTF-8 safe). */
export type BodyEncoding = 'raw' | 'base64';

/** What the receiver reads from the request's headers: all of it is signed by `txbox-signature`. */
export interface SignedFields {
  readonly topic: string;
  readonly key: string | null;
  readonly contentType: string | null;
  readonly encoding: BodyEncoding;
  readonly headers: Readonly<Record<string, string>>;
}

/** A header's value as sent or received (HTTP trims surrounding whitespace on both sides). */
export type HeaderGetter = (lowerCaseName: string) => string | undefined;

/**
 * Reads the signed fields from the headers. The sender calls it on the headers it is about to send
 * and the receiver on those it got, so both sign exactly what HTTP carried. Throws on a malformed
 * header (bad URI encoding, unknown encoding).
 */
export function readFields(get: HeaderGetter): SignedFields {
  const topic = get(TXBOX_HTTP_HEADERS.topic);
  const key = get(TXBOX_HTTP_HEADERS.key);
  const encoding = get(TXBOX_HTTP_HEADERS.encoding) ?? 'raw';
  if (encoding !== 'raw' && encoding !== 'base64') throw new Error(`unknown body encoding "${encoding}"`);
  const headers: Record<string, string> = {};
  for (const name of (get(TXBOX_HTTP_HEADERS.names) ?? '').split(',').filter(Boolean)) {
    const value = get(name.trim().toLowerCase());
    if (value !== undefined) headers[name.trim()] = value;
  }
  return {
    topic: topic === undefined ? '' : decodeURIComponent(topic),
    key: key === undefined ? null : decodeURIComponent(key),
    contentType: get('content-type') ?? null,
    encoding,
    headers,
  };
}

/** One `v1,<base64>` per key, space-separated, over the canonical fields and then the body as sent. */
export function signFields(keys: readonly Buffer[], id: string, timestamp: number, fields: SignedFields, body: Uint8Array): string[] {
  const prefix = canonical(id, timestamp, fields);
  return keys.map((k) => `v1,${createHmac('sha256', k).update(prefix).update(body).digest('base64')}`);
}

/**
 * A JSON array is self-delimiting, so no two different sets of fields give the same bytes before
 * the body. Headers are sorted by name: their order carries no meaning.
 */
function canonical(id: string, timestamp: number, f: SignedFields): string {
  const headers = Object.entries(f.headers).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `${JSON.stringify(['txbox-v1', id, timestamp, f.topic, f.key, f.contentType, f.encoding, headers])}\n`;
}
