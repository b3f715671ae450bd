import { rejectUnknownOptions } from '../../core/option-keys.js';
import { BROKER_MAX_IN_FLIGHT, checkObject, optionalFunction, PUBLISH_OPTION_KEYS, type PublishOptions, requiredFunction, resolvePublishOptions } from '../shared/options.js';
import { invalidOption, PermanentFailure } from '../../core/errors.js';
import type { OutboxMessage } from '../../core/message.js';
import type { ProduceContext, ProduceResult } from '../../core/producer.js';
import { markUnavailable, notSent, publishFailure } from '../shared/failures.js';
import { publishInKeyOrder, type KeyedPlan } from '../shared/keyed.js';
import { HEADER } from '../shared/received.js';
import { connectionWatch } from './connection.js';
import type { JetStreamPublisherLike, NatsHeadersLike, NatsStatusLike } from './types.js';

export interface NatsProducerOptions extends PublishOptions {
  /** A JetStream client: `jetstream(nc)`. */
  js: JetStreamPublisherLike;
  /** The `headers` function of your NATS client package: txbox creates header sets with it. */
  headers: () => NatsHeadersLike;
  /** Subject to publish on. Default: the message's topic. */
  subject?: (message: OutboxMessage) => string;
  /** The connection `js` runs on: while it is disconnected, publishes fail at once instead of at their deadline. */
  connection?: NatsStatusLike;
}

export interface NatsProducer {
  produce(messages: readonly OutboxMessage[], context: ProduceContext): Promise<ProduceResult>;
}

/** The header JetStream deduplicates on, within the stream's duplicate window. */
export const MSG_ID_HEADER = 'Nats-Msg-Id';
export const CONTENT_TYPE_HEADER = 'Content-Type';

/**
 * Publishes each message to JetStream and waits for its PubAck. The message id travels as
 * `Nats-Msg-Id`, so the stream drops a republished message (after a lost ack, or a relay retry)
 * within its duplicate window; such a PubAck says `duplicate` and counts as published.
 */
export function createNatsProducer(options: NatsProducerOptions): NatsProducer {
  checkObject(options, 'createNatsProducer');
  rejectUnknownOptions<NatsProducerOptions>(options, { ...PUBLISH_OPTION_KEYS, js: true, headers: true, subject: true, connection: true });
  const { js } = options;
  if (typeof js?.publish !== 'function') throw invalidOption('js', js, 'must be a JetStream client (jetstream(nc))');
  const newHeaders = requiredFunction<() => NatsHeadersLike>('headers', options.headers);
  const subjectOf = optionalFunction<(m: OutboxMessage) => string>('subject', options.subject) ?? ((m) => m.topic);
  const plan: KeyedPlan = { ...resolvePublishOptions(options, BROKER_MAX_IN_FLIGHT), what: 'NATS JetStream' };
  const { connection } = options;
  if (connection !== undefined && (typeof connection?.status !== 'function' || typeof connection.isClosed !== 'function')) {
    throw invalidOption('connection', connection, 'must be a NATS connection');
  }
  const isDown = connectionWatch(connection);

  const publishOne = async (m: OutboxMessage) => {
    const subject = checkSubject(m, subjectOf);
    const headers = toHeaders(m, newHeaders);
    if (isDown()) throw notSent('nats', 'the connection is down');
    try {
      // The client's own timeout frees its request state; our deadline still bounds the wait.
      await js.publish(subject, m.payload, { msgID: m.id, headers, timeout: plan.publishTimeoutMs });
    } catch (error) {
      throw classify(error, subject);
    }
  };

  return {
    produce: (messages, { signal }) => publishInKeyOrder(messages, signal, plan, publishOne),
  };
}

function toHeaders(m: OutboxMessage, newHeaders: () => NatsHeadersLike): NatsHeadersLike {
  try {
    const h = newHeaders();
    for (const [name, value] of Object.entries(m.headers)) h.set(name, value);
    h.set(HEADER.topic, m.topic);
    if (m.key !== null) h.set(HEADER.key, m.key);
    h.set(CONTENT_TYPE_HEADER, m.contentType);
    return h;
  } catch (error) {
    // NATS refuses header names outside printable ASCII and values with CR/LF: no retry helps.
    throw new PermanentFailure(`nats: message ${m.id} has a header NATS cannot carry`, { cause: error, field: 'headers' });
  }
}

const UNREACHABLE = new Set(['TimeoutError', 'ClosedConnectionError', 'DrainingConnectionError', 'ConnectionError']);
const BAD_SUBJECT = /[\s]|(^|\.)[*>](\.|$)|^\.|\.$|\.\./;

function checkSubject(m: OutboxMessage, subjectOf: (m: OutboxMessage) => string): string {
  let subject: unknown;
  try {
    subject = subjectOf(m);
  } catch (error) {
    throw new PermanentFailure(`nats: the subject option threw for message ${m.id}`, { cause: error, field: 'subject' });
  }
  if (typeof subject !== 'string' || subject.length === 0 || BAD_SUBJECT.test(subject)) {
    throw new PermanentFailure(`nats: message ${m.id} maps to an invalid subject (no spaces, empty tokens or wildcards)`, { field: 'subject', value: subject });
  }
  return subject;
}

/**
 * No responders: no stream captures the subject (retryable: a stream may be added). Timeouts and
 * a closed connection mean NATS is unreachable. The client refuses an invalid subject or a payload
 * over the server's max_payload before sending: no retry helps those.
 */
function classify(error: unknown, subject: string): Error {
  const name = (error as Error | undefined)?.name ?? '';
  const cause = (error as { cause?: Error } | undefined)?.cause;
  if (name === 'JetStreamNotEnabled' || cause?.message?.includes('no responders')) {
    return publishFailure('nats', `no JetStream stream captures subject "${subject}" (no responders)`, error);
  }
  if (UNREACHABLE.has(name)) return markUnavailable(publishFailure('nats', 'NATS is unreachable', error));
  if (name === 'InvalidArgumentError' || name === 'InvalidSubjectError') {
    return new PermanentFailure(`nats: the client refused the message (${(error as Error).message})`, { cause: error });
  }
  return publishFailure('nats', 'publish failed', error);
}
