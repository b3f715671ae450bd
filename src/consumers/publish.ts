import { invalidArgument } from '../core/errors.js';
import { uuidv7 } from '../core/ids.js';
import { LIMITS, type MessageInput } from '../core/message.js';
import type { ResolvedConsumer } from './definition.js';

/** What a module publishes: delivered once to each consumer subscribed to the topic. */
export interface PublishInput {
  topic: string;
  payload: unknown;
  /** Ordering key: per consumer, messages with the same key are handled in position (insert) order. */
  key?: string;
  headers?: Readonly<Record<string, string>>;
  delayMs?: number;
  availableAt?: Date;
  /**
   * While a message with the same topic, consumer and dedup id is pending (waiting, delayed,
   * retrying or running), another one is not stored: the first wins. With a delay this throttles:
   * one handling per burst, the first burst's payload.
   */
  dedupId?: string;
  /**
   * With `dedupId`: the last wins instead. A pending message of the same id takes this one's
   * payload and its delay restarts, so a burst is handled once, after it ends, with its last payload.
   */
  debounce?: boolean;
}

/** One stored message of a publish, and whether it debounces. */
export interface Delivery {
  readonly message: MessageInput;
  readonly debounce: boolean;
}

/** Headers that carry the routing of a consumer message. */
export const CONSUMER_HEADER = 'txbox-consumer';
export const KEY_HEADER = 'txbox-key';
export const PUBLISHED_ID_HEADER = 'txbox-published-id';

/**
 * One stored message per subscribed consumer, so each consumer retries, poisons and orders its
 * copy on its own: a failing consumer never re-runs or blocks another. Keys and dedup ids are
 * namespaced by consumer for the same reason.
 */
export function fanOut(input: PublishInput, at: string, subscribers: (topic: string) => readonly ResolvedConsumer[]): Delivery[] {
  if (!input || typeof input !== 'object') throw invalidArgument(at, input, 'must be an object');
  if (input.debounce !== undefined && typeof input.debounce !== 'boolean') throw invalidArgument(`${at}.debounce`, input.debounce, 'must be a boolean');
  if (input.debounce && input.dedupId === undefined) throw invalidArgument(`${at}.debounce`, input.debounce, 'needs a dedupId to know what to debounce');
  const debounce = input.debounce === true;
  const consumers = subscribers(input.topic);
  if (consumers.length === 0) throw invalidArgument(`${at}.topic`, input.topic, 'has no consumer subscribed to it');
  const publishedId = uuidv7();
  const longest = Math.max(...consumers.map((c) => dedupKeyOf(c.name, input.topic, input.dedupId ?? '').length));
  // The stored dedup key encodes consumer, topic and id (see dedupKeyOf), plus `#next` for a debounce follower.
  if (input.dedupId !== undefined && (typeof input.dedupId !== 'string' || input.dedupId.length === 0 || longest > MAX_DEDUP_KEY)) {
    throw invalidArgument(`${at}.dedupId`, input.dedupId, `must be a non-empty string; with the consumer and topic names it must fit in ${MAX_DEDUP_KEY} characters`);
  }
  return consumers.map((c) => ({
    debounce,
    message: {
    topic: input.topic,
    payload: input.payload,
    // A debounced message and its follower share a key, so the follower never overtakes it.
    key: input.key !== undefined ? `${c.name}/${input.key}` : debounce ? dedupKeyOf(c.name, input.topic, input.dedupId!) : null,
    headers: {
      ...input.headers,
      [CONSUMER_HEADER]: c.name,
      [PUBLISHED_ID_HEADER]: publishedId,
      ...(input.key === undefined ? {} : { [KEY_HEADER]: input.key }),
    },
    ...(input.delayMs === undefined ? {} : { delayMs: input.delayMs }),
    ...(input.availableAt === undefined ? {} : { availableAt: input.availableAt }),
    dedupKey: input.dedupId === undefined ? null : dedupKeyOf(c.name, input.topic, input.dedupId),
    },
  }));
}

const MAX_DEDUP_KEY = LIMITS.dedupKey - '#next'.length;

/**
 * `consumer/<topic length>:topic/id`. Consumer names cannot hold a `/` and the topic is length-
 * prefixed, so no two (consumer, topic, id) triples share a key: a plain `consumer/topic/id` made
 * topic `doc/changed` with id `42` collide with topic `doc` and id `changed/42`.
 */
const dedupKeyOf = (consumer: string, topic: string, dedupId: string) => `${consumer}/${topic.length}:${topic}/${dedupId}`;
