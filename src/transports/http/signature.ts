import { createHmac, timingSafeEqual } from 'node:crypto';
import { invalidOption, TxboxError } from '../../core/errors.js';

/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com): HMAC-SHA256 over
 * `${webhook-id}.${webhook-timestamp}.${body}` with the secret's bytes, sent as `v1,<base64>`.
 * Several space-separated signatures let a receiver rotate secrets.
 */
export const WEBHOOK_HEADERS = {
  id: 'webhook-id',
  timestamp: 'webhook-timestamp',
  signature: 'webhook-signature',
} as const;

const PREFIX = 'whsec_';

/** Decodes `whsec_<base64>` secrets. The secret never appears in an error. */
export function decodeSecrets(field: string, secret: unknown): Buffer[] {
  const list = Array.isArray(secret) ? secret : [secret];
  if (list.length === 0) throw invalidOption(field, '[empty list]', 'must hold at least one secret');
  return list.map((s: unknown, i) => {
    const at = Array.isArray(secret) ? `${field}[${i}]` : field;
    if (typeof s !== 'string' || !s.startsWith(PREFIX)) throw invalidOption(at, typeof s === 'string' ? '[redacted]' : s, `must be a "${PREFIX}<base64>" secret`);
    const key = Buffer.from(s.slice(PREFIX.length), 'base64');
    if (key.length < 24 || key.length > 64) throw invalidOption(at, '[redacted]', 'must decode to 24 to 64 bytes');
    return key;
  });
}

/** Constant-time: does one of the space-separated `v1,` signatures equal one of `expected`? */
export function anySignatureMatches(given: string, expected: readonly string[]): boolean {
  const wanted = expected.map((e) => Buffer.from(e));
  return given
    .split(' ')
    .filter((s) => s.startsWith('v1,'))
    .map((s) => Buffer.from(s))
    .some((g) => wanted.some((e) => e.length === g.length && timingSafeEqual(e, g)));
}

export function sign(key: Buffer, id: string, timestamp: number, body: Uint8Array): string {
  const mac = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest('base64');
  return `v1,${mac}`;
}

export function signAll(keys: readonly Buffer[], id: string, timestamp: number, body: Uint8Array): string {
  return keys.map((k) => sign(k, id, timestamp, body)).join(' ');
}

export type HeaderSource = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

export interface VerifyOptions {
  /** Largest accepted distance between the timestamp and now, in seconds. Default 300. */
  toleranceSec?: number;
  /** Now, in milliseconds since the epoch (tests). */
  now?: number;
}

export interface VerifiedWebhook {
  readonly id: string;
  /** `webhook-timestamp` as a Date (whole seconds: the header has no finer resolution). */
  readonly timestamp: Date;
}

/**
 * The Standard Webhooks check of a received webhook: its headers are present, its timestamp is
 * recent (replays fail) and one of its signatures matches one of `secret` (several during a
 * rotation). It covers the id, the timestamp and the body only, as the standard does: the topic,
 * key and headers a txbox sender adds are not covered; `verifyWebhookMessage` checks those too.
 * Throws a TxboxError naming the header at fault; never says which secret matched.
 */
export function verifyWebhook(secret: string | readonly string[], headers: HeaderSource, body: Uint8Array | string, options: VerifyOptions = {}): VerifiedWebhook {
  const keys = decodeSecrets('secret', secret);
  const id = header(headers, WEBHOOK_HEADERS.id);
  const stamp = header(headers, WEBHOOK_HEADERS.timestamp);
  const signatures = header(headers, WEBHOOK_HEADERS.signature);
  const timestamp = Number(stamp);
  if (!/^\d{1,12}$/.test(stamp)) throw bad(WEBHOOK_HEADERS.timestamp, stamp, 'must be whole seconds since the epoch');
  const tolerance = options.toleranceSec ?? 300;
  const nowSec = Math.floor((options.now ?? Date.now()) / 1000);
  if (Math.abs(nowSec - timestamp) > tolerance) throw bad(WEBHOOK_HEADERS.timestamp, stamp, `must be within ${tolerance} s of now`);
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  if (!anySignatureMatches(signatures, keys.map((k) => sign(k, id, timestamp, bytes)))) throw bad(WEBHOOK_HEADERS.signature, '[redacted]', 'matches no secret');
  return { id, timestamp: new Date(timestamp * 1000) };
}

/** One header of a `Headers` object or of a plain record (any case); repeated values joined with `separator`. */
export function headerValue(headers: HeaderSource, name: string, separator = ', '): string | undefined {
  let value: string | readonly string[] | null | undefined;
  if (typeof (headers as Headers).get === 'function') value = (headers as Headers).get(name);
  else {
    const record = headers as Readonly<Record<string, string | readonly string[] | undefined>>;
    value = record[name] ?? Object.entries(record).find(([k]) => k.toLowerCase() === name)?.[1];
  }
  return Array.isArray(value) ? value.join(separator) : ((value as string | null | undefined) ?? undefined);
}

function header(headers: HeaderSource, name: string): string {
  const text = headerValue(headers, name, ' ');
  if (!text) throw bad(name, text, 'is missing');
  return text;
}

export function bad(field: string, value: unknown, expectation: string): TxboxError {
  return new TxboxError('INVALID_ARGUMENT', `webhook header ${field} ${expectation}`, { field, value });
}
