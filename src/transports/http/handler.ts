import type { Logger } from '../../core/logger.js';
import { errorReporter } from '../shared/report.js';
import { rejectUnknownOptions } from '../../core/option-keys.js';
import type { ProcessHook } from '../../core/process-hook.js';
import { isPermanent } from '../../core/errors.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { checkObject, integerOption, requiredFunction, optionalFunction } from '../shared/options.js';
import { instrumented, safeCall, type ConsumeErrorListener, type MessageHandler, type ReceivedMessage } from '../shared/received.js';
import { decodeSecrets } from './signature.js';
import { verifyWebhookMessage } from './verify-message.js';

export interface WebhookHandlerOptions {
  /** The `whsec_<base64>` secret(s) the sender signs with. */
  secret: string | readonly string[];
  handler: MessageHandler;
  /** Larger bodies are refused with 413. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Largest accepted clock distance, in seconds. Default 300. */
  toleranceSec?: number;
  /** Wraps each handler call, e.g. `instrument: otel.process` (txbox/opentelemetry) for a process span continuing the message's trace. */
  instrument?: ProcessHook;
  onError?: ConsumeErrorListener;
  /** Where failures go when there is no `onError`: default the console (warn), `false` silent. */
  logger?: Logger | false;
}

/**
 * A `node:http` request listener receiving txbox webhooks: it verifies the signatures (401 when
 * one fails), runs the handler, and answers 204 once it resolved or 500 when it threw, so the sender
 * retries. Use it as `http.createServer(listener)` or mount it on a route of your framework.
 */
export function createWebhookHandler(options: WebhookHandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  checkObject(options, 'createWebhookHandler');
  rejectUnknownOptions<WebhookHandlerOptions>(options, { secret: true, handler: true, maxBodyBytes: true, toleranceSec: true, onError: true, logger: true, instrument: true });
  decodeSecrets('secret', options.secret);
  const { secret } = options;
  const onError = errorReporter('webhook handler', options.onError, options.logger);
  const handler = instrumented(requiredFunction<MessageHandler>('handler', options.handler), optionalFunction<ProcessHook>('instrument', options.instrument), 'http');
  const maxBodyBytes = integerOption('maxBodyBytes', options.maxBodyBytes, 1 << 20, 1, 1 << 30);
  const toleranceSec = integerOption('toleranceSec', options.toleranceSec, 300, 1, 86_400 * 365);

  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'POST') return answer(res, 405);
    const body = await readBody(req, maxBodyBytes);
    if (!body) return answer(res, 413);
    let message: ReceivedMessage;
    try {
      // Both signatures: a replay with another topic, key or headers is refused here.
      ({ message } = verifyWebhookMessage(secret, req.headers, body, { toleranceSec }));
    } catch (error) {
      safeCall(onError, error);
      return answer(res, 401);
    }
    try {
      await handler(message);
    } catch (error) {
      safeCall(onError, error, message);
      // Given up (PermanentFailure): a 4xx the sender does not retry, so it dead-letters the message.
      return answer(res, isPermanent(error) ? 422 : 500);
    }
    answer(res, 204);
  };

  return (req, res) => {
    serve(req, res).catch((error) => {
      safeCall(onError, error);
      if (!res.headersSent) answer(res, 500);
      else res.destroy();
    });
  };
}

function answer(res: ServerResponse, status: number): void {
  res.writeHead(status, { 'content-length': '0' }).end();
}

/** The body, or undefined once it exceeds `limit` (the rest is not read). */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
