import type { ReceivedMessage } from '../shared/received.js';
import { readFields, signFields, TXBOX_HTTP_HEADERS, type SignedFields } from './fields.js';
import { anySignatureMatches, bad, decodeSecrets, headerValue, verifyWebhook, type HeaderSource, type VerifiedWebhook, type VerifyOptions } from './signature.js';

export interface VerifiedWebhookMessage extends VerifiedWebhook {
  /** The message as the sender sent it: topic, key, content type and headers all verified. */
  readonly message: ReceivedMessage;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Verifies a webhook sent by a txbox producer and decodes it: the Standard Webhooks signature
 * (id, timestamp, body; see `verifyWebhook`), then `txbox-signature`, which covers the topic, key,
 * content type, body encoding and message headers. A request replayed with any of those changed
 * fails here, naming `txbox-signature`. A base64 body (`bodyEncoding: 'base64'`) is decoded back
 * to the payload's bytes.
 */
export function verifyWebhookMessage(secret: string | readonly string[], headers: HeaderSource, body: Uint8Array | string, options: VerifyOptions = {}): VerifiedWebhookMessage {
  const { id, timestamp } = verifyWebhook(secret, headers, body, options);
  const bytes = typeof body === 'string' ? Buffer.from(body) : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const given = headerValue(headers, TXBOX_HTTP_HEADERS.signature, ' ');
  if (!given) throw bad(TXBOX_HTTP_HEADERS.signature, given, 'is missing (not sent by a txbox producer?)');
  let fields: SignedFields;
  try {
    fields = readFields((name) => headerValue(headers, name));
  } catch (error) {
    throw bad(TXBOX_HTTP_HEADERS.signature, '[redacted]', `cannot be checked: ${(error as Error).message}`);
  }
  const expected = signFields(decodeSecrets('secret', secret), id, timestamp.getTime() / 1000, fields, bytes);
  if (!anySignatureMatches(given, expected)) {
    throw bad(TXBOX_HTTP_HEADERS.signature, '[redacted]', 'matches no secret: the topic, key, content type or headers are not those signed');
  }
  let payload = bytes;
  if (fields.encoding === 'base64') {
    const text = bytes.toString('latin1');
    if (!BASE64.test(text)) throw bad(TXBOX_HTTP_HEADERS.encoding, 'base64', 'announces a body that is not base64');
    payload = Buffer.from(text, 'base64');
  }
  return { id, timestamp, message: { id, topic: fields.topic, key: fields.key, headers: fields.headers, payload, contentType: fields.contentType } };
}
