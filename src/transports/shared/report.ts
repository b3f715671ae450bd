import { invalidOption } from '../../core/errors.js';
import { consoleLogger, type Logger } from '../../core/logger.js';
import type { ConsumeErrorListener } from './received.js';

/**
 * Where a consumer helper reports a message it could not handle: `onError` when given, else the
 * logger at warn level — the console by default, so a failing handler is never silent; `false`
 * silences it.
 */
export function errorReporter(helper: string, onError: ConsumeErrorListener | undefined, logger: Logger | false | undefined): ConsumeErrorListener {
  if (onError !== undefined) return onError;
  if (logger === false) return () => {};
  if (logger !== undefined && typeof logger?.warn !== 'function') throw invalidOption('logger', logger, 'must be a { debug, info, warn, error } logger or false');
  const log = logger ?? consoleLogger();
  return (error, message) =>
    log.warn({ err: error, helper, ...(message ? { id: message.id, topic: message.topic, key: message.key } : {}) }, `${helper}: a message could not be handled; the broker keeps it for redelivery`);
}
