import { rejectUnknownOptions } from '../../core/option-keys.js';
import { checkObject, type PerMessage, PUBLISH_OPTION_KEYS, type PublishOptions, resolvePublishOptions } from '../shared/options.js';
import { invalidOption, PermanentFailure } from '../../core/errors.js';
import type { OutboxMessage } from '../../core/message.js';
import type { ProduceContext, ProduceResult } from '../../core/producer.js';
import { notSent, publishFailure, unavailable, withRetryHint } from '../shared/failures.js';
import { publishInKeyOrder, type KeyedPlan } from '../shared/keyed.js';
import { payloadBuffer } from '../shared/received.js';
import { readFields, signFields, TXBOX_HTTP_HEADERS, type BodyEncoding } from './fields.js';
import { decodeSecrets, signAll, WEBHOOK_HEADERS } from './signature.js';

/** Node's `fetch`, or any function with its shape (e.g. undici's fetch with a custom dispatcher). */
export type FetchLike = (url: URL, init: RequestInit) => Promise<Response>;

export interface WebhookProducerOptions extends PublishOptions {
  /** Endpoint, or a function choosing it per message (http or https). */
  url: PerMessage<string | URL>;
  /** `whsec_<base64>` signing secret; give several during a rotation (one signature each). */
  secret: string | readonly string[];
  /** Sent with every request, e.g. an authorization header. */
  headers?: Readonly<Record<string, string>>;
  fetch?: FetchLike;
  /**
   * `raw` (default): the body is the payload's bytes. `base64`: the body is their base64 text,
   * with `txbox-encoding: base64` and the message's content type. Use it for binary payloads
   * when receivers verify with a Standard Webhooks library that reads the body as UTF-8 text.
   */
  bodyEncoding?: BodyEncoding;
}

export interface WebhookProducer {
  produce(messages: readonly OutboxMessage[], context: ProduceContext): Promise<ProduceResult>;
}

/** Lists the message's own header names, so the receiver can tell them from transport headers. */
export const HEADER_NAMES = TXBOX_HTTP_HEADERS.names;
const RESERVED = new Set(['content-type', 'content-length', 'host', 'connection', 'transfer-encoding']);
const isReserved = (name: string) => {
  const lower = name.toLowerCase();
  return RESERVED.has(lower) || lower.startsWith('txbox-') || lower.startsWith('webhook-');
};

/**
 * POSTs each message as a Standard Webhooks request: the body is the payload as stored, with its
 * content type; `webhook-id` is the message id (stable across retries, so receivers can drop
 * duplicates). `txbox-signature` also signs the topic, key and headers (see fields.ts). 2xx is success. 408, 429, 5xx, redirects, timeouts and network errors are retried;
 * any other 4xx is a PermanentFailure: the endpoint refuses this message and will keep refusing.
 */
export function createWebhookProducer(options: WebhookProducerOptions): WebhookProducer {
  checkObject(options, 'createWebhookProducer');
  rejectUnknownOptions<WebhookProducerOptions>(options, { ...PUBLISH_OPTION_KEYS, url: true, secret: true, headers: true, fetch: true, bodyEncoding: true });
  const urlOf = resolveUrl(options.url);
  const keys = decodeSecrets('secret', options.secret);
  const fixed = checkFixedHeaders(options.headers);
  const fetchFn: FetchLike = options.fetch ?? ((url, init) => fetch(url, init));
  if (typeof fetchFn !== 'function') throw invalidOption('fetch', fetchFn, 'must be a function');
  const bodyEncoding = options.bodyEncoding ?? 'raw';
  if (bodyEncoding !== 'raw' && bodyEncoding !== 'base64') throw invalidOption('bodyEncoding', bodyEncoding, 'must be "raw" or "base64"');
  const plan: KeyedPlan = {
    ...resolvePublishOptions(options, 8),
    what: 'the webhook endpoint',
    cancellable: true,
    // One endpoint being down must not skip messages bound for another.
    scope: (m) => safeOrigin(urlOf, m),
  };

  const post = async (m: OutboxMessage, signal: AbortSignal) => {
    const url = urlOf(m);
    // A copy typed as plain bytes: some DOM typings refuse a view that may sit on a SharedArrayBuffer.
    const body = bodyEncoding === 'base64' ? new Uint8Array(Buffer.from(payloadBuffer(m.payload).toString('base64'))) : new Uint8Array(m.payload);
    const headers = requestHeaders(m, fixed, keys, bodyEncoding, body);
    let response: Response;
    try {
      response = await fetchFn(url, { method: 'POST', body, headers, signal, redirect: 'manual' });
    } catch (error) {
      const refused = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN'].includes((error as { cause?: { code?: string } })?.cause?.code ?? '');
      throw (refused ? notSent : unavailable)('http', `POST ${url.origin} failed`, error);
    }
    if (response.status >= 200 && response.status < 300) {
      await response.body?.cancel().catch(() => {});
      return;
    }
    const text = (await response.text().catch(() => '')).slice(0, 200);
    const what = `POST ${url.origin}${url.pathname} answered ${response.status}${text ? `: ${text}` : ''}`;
    const retryable = response.status < 400 || response.status >= 500 || response.status === 408 || response.status === 429;
    if (!retryable) throw new PermanentFailure(`http: ${what}`, { field: 'status', value: response.status });
    throw withRetryHint(publishFailure('http', what), retryAfterMs(response.headers.get('retry-after')));
  };

  return {
    produce: (messages, { signal }) => publishInKeyOrder(messages, signal, plan, post),
  };
}

function requestHeaders(m: OutboxMessage, fixed: Headers, keys: readonly Buffer[], encoding: BodyEncoding, body: Uint8Array): Headers {
  const headers = new Headers(fixed);
  try {
    for (const [name, value] of Object.entries(m.headers)) {
      if (isReserved(name)) throw new Error(`"${name}" is reserved by the webhook transport`);
      headers.set(name, value);
    }
  } catch (error) {
    throw new PermanentFailure(`http: message ${m.id} has a header HTTP cannot carry`, { cause: error, field: 'headers' });
  }
  const timestamp = Math.floor(Date.now() / 1000);
  headers.set('content-type', m.contentType);
  headers.set(WEBHOOK_HEADERS.id, m.id);
  headers.set(WEBHOOK_HEADERS.timestamp, String(timestamp));
  headers.set(WEBHOOK_HEADERS.signature, signAll(keys, m.id, timestamp, body));
  headers.set(TXBOX_HTTP_HEADERS.topic, encodeURIComponent(m.topic));
  if (m.key !== null) headers.set(TXBOX_HTTP_HEADERS.key, encodeURIComponent(m.key));
  if (encoding !== 'raw') headers.set(TXBOX_HTTP_HEADERS.encoding, encoding);
  const names = Object.keys(m.headers);
  if (names.length > 0) headers.set(HEADER_NAMES, names.join(','));
  // Signed as HTTP will carry them (values trimmed), read back the way the receiver reads them.
  const fields = readFields((name) => headers.get(name) ?? undefined);
  headers.set(TXBOX_HTTP_HEADERS.signature, signFields(keys, m.id, timestamp, fields, body).join(' '));
  return headers;
}

const MAX_RETRY_AFTER_MS = 60 * 60 * 1000;

/** Retry-After in seconds or as an HTTP date; capped at an hour so an odd answer cannot park a message. */
function retryAfterMs(value: string | null): number | undefined {
  if (!value) return undefined;
  const ms = /^\d+$/.test(value.trim()) ? Number(value.trim()) * 1000 : Date.parse(value) - Date.now();
  return Number.isNaN(ms) ? undefined : Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
}

function resolveUrl(value: unknown): (m: OutboxMessage) => URL {
  if (typeof value === 'function') {
    return (m) => {
      let url: URL;
      try {
        url = toUrl((value as (m: OutboxMessage) => string | URL)(m));
      } catch (error) {
        throw new PermanentFailure(`http: the url option gave no http(s) URL for message ${m.id}`, { cause: error, field: 'url' });
      }
      return url;
    };
  }
  let url: URL;
  try {
    url = toUrl(value);
  } catch {
    throw invalidOption('url', value, 'must be an http(s) URL or a function of the message returning one');
  }
  return () => url;
}

function toUrl(value: unknown): URL {
  const url = value instanceof URL ? value : new URL(String(value));
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`unsupported protocol ${url.protocol}`);
  return url;
}

function safeOrigin(urlOf: (m: OutboxMessage) => URL, m: OutboxMessage): string {
  try {
    return urlOf(m).origin;
  } catch {
    return '';
  }
}

function checkFixedHeaders(value: unknown): Headers {
  if (value === undefined) return new Headers();
  if (value === null || typeof value !== 'object') throw invalidOption('headers', value, 'must be an object of header values');
  let headers: Headers;
  try {
    headers = new Headers(value as Record<string, string>);
  } catch (error) {
    throw invalidOption('headers', value, `must hold valid HTTP headers (${(error as Error).message})`);
  }
  for (const name of headers.keys()) {
    if (name.startsWith('txbox-') || name.startsWith('webhook-')) throw invalidOption(`headers.${name}`, headers.get(name), 'is a header the webhook transport sets itself');
  }
  return headers;
}
