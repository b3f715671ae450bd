import { rejectUnknownOptions } from '../../core/option-keys.js';
import { invalidOption, isPermanent, PermanentFailure } from '../../core/errors.js';
import type { OutboxMessage } from '../../core/message.js';
import type { ProduceContext, ProduceFailure, ProduceResult } from '../../core/producer.js';
import { withDeadline } from '../shared/deadline.js';
import { isNotSent, notSent, publishFailure, unavailable } from '../shared/failures.js';
import { roundsByKey } from '../shared/keyed.js';
import { checkObject, integerOption, perMessageString, resolvePublishOptions, type PerMessage, type PublishOptions } from '../shared/options.js';
import { toFields } from './fields.js';
import type { RedisArg, RedisProducerClientLike } from './types.js';

export interface RedisProducerOptions extends Omit<PublishOptions, 'maxInFlight'> {
  /** An ioredis client. Prefer `enableOfflineQueue: false`: while disconnected, fail instead of queueing. */
  redis: RedisProducerClientLike;
  /** Stream key. Default: the message's topic. */
  stream?: PerMessage<string>;
  /** Trim each stream to about this many entries (`MAXLEN ~`). Default: no trimming. */
  maxLen?: number;
}

export interface RedisProducer {
  produce(messages: readonly OutboxMessage[], context: ProduceContext): Promise<ProduceResult>;
}

/**
 * Appends each message to a stream with XADD. A batch goes in as few round trips as per-key order
 * allows: one pipeline per round (the n-th message of every key), since Redis runs a pipeline's
 * commands in order but does not stop at a failed one.
 */
export function createRedisProducer(options: RedisProducerOptions): RedisProducer {
  checkObject(options, 'createRedisProducer');
  rejectUnknownOptions<RedisProducerOptions>(options, { publishTimeoutMs: true, redis: true, stream: true, maxLen: true });
  const { redis } = options;
  if (typeof redis?.pipeline !== 'function') throw invalidOption('redis', redis, 'must be an ioredis client');
  const streamOf = perMessageString('stream', options.stream, (m) => m.topic);
  const maxLen = options.maxLen === undefined ? undefined : integerOption('maxLen', options.maxLen, 0, 1, Number.MAX_SAFE_INTEGER);
  const { publishTimeoutMs } = resolvePublishOptions(options, 1);

  const command = (m: OutboxMessage): RedisArg[] => {
    let stream: unknown;
    try {
      stream = streamOf(m);
    } catch (error) {
      throw new PermanentFailure(`redis: the stream option threw for message ${m.id}`, { cause: error, field: 'stream' });
    }
    if (typeof stream !== 'string' || stream.length === 0) throw new PermanentFailure(`redis: message ${m.id} maps to an empty stream name`, { field: 'stream', value: stream });
    const trim = maxLen === undefined ? [] : ['MAXLEN', '~', maxLen];
    return ['xadd', stream, ...trim, '*', ...toFields(m)];
  };

  const runRound = async (round: readonly OutboxMessage[], signal: AbortSignal) => {
    const results = new Map<string, unknown>();
    const commands: RedisArg[][] = [];
    const sent: OutboxMessage[] = [];
    for (const m of round) {
      try {
        commands.push(command(m));
        sent.push(m);
      } catch (error) {
        results.set(m.id, error);
      }
    }
    if (sent.length === 0) return results;
    if (redis.status !== undefined && redis.status !== 'ready') {
      // ioredis would queue the commands until it reconnects: fail now, the relay retries later.
      const error = notSent('redis', `the connection is ${redis.status}`);
      for (const m of sent) results.set(m.id, error);
      return results;
    }
    try {
      const replies = await withDeadline(() => redis.pipeline(commands).exec(), publishTimeoutMs, signal, 'Redis');
      sent.forEach((m, i) => {
        const reply = replies?.[i];
        results.set(m.id, !reply ? unavailable('redis', 'no reply') : reply[0] ? publishFailure('redis', 'XADD failed', reply[0]) : null);
      });
    } catch (error) {
      for (const m of sent) results.set(m.id, isPermanent(error) ? error : unavailable('redis', 'pipeline failed', error));
    }
    return results;
  };

  return {
    async produce(messages, { signal }) {
      const ok: string[] = [];
      const failed: ProduceFailure[] = [];
      const failedKeys = new Set<string>();
      for (const round of roundsByKey(messages)) {
        const live = round.filter((m) => m.key === null || !failedKeys.has(m.key));
        if (live.length === 0 || signal.aborted) continue;
        const results = await runRound(live, signal);
        for (const m of live) {
          const error = results.get(m.id);
          if (error === null) ok.push(m.id);
          else {
            failed.push({ id: m.id, error, permanent: isPermanent(error), unavailable: isNotSent(error) });
            if (m.key !== null) failedKeys.add(m.key);
          }
        }
      }
      return { ok, failed };
    },
  };
}
