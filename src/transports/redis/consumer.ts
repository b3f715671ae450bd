import type { Logger } from '../../core/logger.js';
import { errorReporter } from '../shared/report.js';
import { rejectUnknownOptions } from '../../core/option-keys.js';
import type { ProcessHook } from '../../core/process-hook.js';
import { errorMessage, invalidOption, isPermanent } from '../../core/errors.js';
import { checkObject, integerOption, requiredFunction, optionalFunction } from '../shared/options.js';
import { instrumented, safeCall, sleep, type ConsumeErrorListener, type MessageHandler, type ReceivedMessage, type Subscription } from '../shared/received.js';
import { fromFields } from './fields.js';
import type { RedisConsumerClientLike } from './types.js';

export interface RedisStreamConsumerOptions {
  /** A connection of its own (XREADGROUP BLOCK holds it while waiting). */
  redis: RedisConsumerClientLike;
  stream: string;
  group: string;
  /** This consumer's name within the group. */
  consumer: string;
  handler: MessageHandler;
  /** Creates the group (and the stream) when missing, reading from the stream's start. Default true. */
  createGroup?: boolean;
  /** Entries read per call. Default 16. */
  count?: number;
  /** Longest wait of one read; also how long `stop()` may take. Default 1000. */
  blockMs?: number;
  /** Wait before re-reading entries whose handler failed. Default 1000. */
  retryDelayMs?: number;
  /** Where an entry goes when its handler gives up (`PermanentFailure`), with an `error` field. Default `<stream>:dead`. */
  deadLetterStream?: string;
  /** Wraps each handler call, e.g. `instrument: otel.process` (txbox/opentelemetry) for a process span continuing the message's trace. */
  instrument?: ProcessHook;
  onError?: ConsumeErrorListener;
  /** Where failures go when there is no `onError`: default the console (warn), `false` silent. */
  logger?: Logger | false;
}

type StreamReply = [Buffer, [Buffer, Buffer[]][]][] | null;

/**
 * Reads a stream through a consumer group and XACKs an entry only after its handler resolved. An
 * entry whose handler threw stays pending for this consumer and is read again (from id 0, this
 * consumer's pending list) after `retryDelayMs`, before any new entry. One whose handler threw
 * `PermanentFailure`, or that cannot be decoded, is copied to the dead-letter stream and acknowledged.
 */
export async function consumeRedisStream(options: RedisStreamConsumerOptions): Promise<Subscription> {
  checkObject(options, 'consumeRedisStream');
  rejectUnknownOptions<RedisStreamConsumerOptions>(options, { redis: true, stream: true, group: true, consumer: true, handler: true, createGroup: true, count: true, blockMs: true, retryDelayMs: true, deadLetterStream: true, onError: true, logger: true, instrument: true });
  const { redis, stream, group, consumer } = options;
  const onError = errorReporter('redis consumer', options.onError, options.logger);
  if (typeof redis?.callBuffer !== 'function') throw invalidOption('redis', redis, 'must be an ioredis client');
  for (const [field, value] of [['stream', stream], ['group', group], ['consumer', consumer]] as const) {
    if (typeof value !== 'string' || value.length === 0) throw invalidOption(field, value, 'must be a non-empty string');
  }
  const handler = instrumented(requiredFunction<MessageHandler>('handler', options.handler), optionalFunction<ProcessHook>('instrument', options.instrument), 'redis', group);
  const count = integerOption('count', options.count, 16, 1, 10_000);
  const blockMs = integerOption('blockMs', options.blockMs, 1000, 1, 60_000);
  const retryDelayMs = integerOption('retryDelayMs', options.retryDelayMs, 1000, 0, 3_600_000);
  const deadLetterStream = options.deadLetterStream ?? `${stream}:dead`;
  if (typeof deadLetterStream !== 'string' || deadLetterStream.length === 0) throw invalidOption('deadLetterStream', deadLetterStream, 'must be a non-empty string');

  if (options.createGroup ?? true) {
    await redis.call('XGROUP', 'CREATE', stream, group, '0', 'MKSTREAM').catch((error: Error) => {
      if (!String(error?.message).startsWith('BUSYGROUP')) throw error;
    });
  }

  const stopping = new AbortController();
  // Start with this consumer's pending entries: a previous run may have died before acking them.
  let pending = true;
  const readOnce = async () => {
    const from = pending ? '0' : '>';
    const reply = (await redis.callBuffer('XREADGROUP', 'GROUP', group, consumer, 'COUNT', count, ...(pending ? [] : ['BLOCK', blockMs]), 'STREAMS', stream, from)) as StreamReply;
    const entries = reply?.[0]?.[1] ?? [];
    if (pending && entries.length === 0) pending = false;
    let failed = false;
    for (const [rawId, fields] of entries) {
      if (stopping.signal.aborted) return;
      const entryId = rawId.toString('utf8');
      let message: ReceivedMessage | undefined;
      try {
        // A pending entry deleted from the stream (trimmed) comes back with no fields. One that
        // cannot be decoded throws PermanentFailure here and is dead-lettered below.
        message = fields ? fromFields(entryId, stream, fields) : undefined;
        if (message) await handler(message);
        await redis.call('XACK', stream, group, entryId);
      } catch (error) {
        safeCall(onError, error, message);
        if (isPermanent(error) && fields) {
          // Given up: a copy goes to the dead-letter stream, then the entry is acknowledged.
          await redis.call('XADD', deadLetterStream, '*', ...fields, 'error', errorMessage(error).slice(0, 1000));
          await redis.call('XACK', stream, group, entryId);
        } else failed = true;
      }
    }
    if (failed) {
      pending = true;
      await sleep(retryDelayMs, stopping.signal);
    }
  };

  const loop = (async () => {
    while (!stopping.signal.aborted) {
      try {
        await readOnce();
      } catch (error) {
        safeCall(onError, error);
        // Entries of the failed read may be delivered but not acknowledged: read them again first.
        pending = true;
        await sleep(retryDelayMs, stopping.signal);
      }
    }
  })();

  let stopped: Promise<void> | undefined;
  return {
    stop() {
      stopping.abort();
      stopped ??= loop;
      return stopped;
    },
  };
}
