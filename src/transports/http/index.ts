export { createWebhookProducer, HEADER_NAMES, type WebhookProducer, type WebhookProducerOptions, type FetchLike } from './producer.js';
export { createWebhookHandler, type WebhookHandlerOptions } from './handler.js';
export { verifyWebhook, WEBHOOK_HEADERS, type VerifyOptions, type VerifiedWebhook, type HeaderSource } from './signature.js';
export { verifyWebhookMessage, type VerifiedWebhookMessage } from './verify-message.js';
export { TXBOX_HTTP_HEADERS, type BodyEncoding } from './fields.js';
export type { ReceivedMessage, MessageHandler, ConsumeErrorListener } from '../shared/received.js';
