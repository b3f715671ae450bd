import { backoffDelay } from '../core/backoff.js';
import { TxboxError } from '../core/errors.js';
import type { HandlerContext, Inbox } from '../core/inbox.js';
import { parsePayload, type OutboxMessage } from '../core/message.js';
import type { ProduceFailure, ProduceFn } from '../core/producer.js';
import { throughHook, type ProcessHook } from '../core/process-hook.js';
import type { ConsumeContext, ResolvedConsumer } from './definition.js';
import { createLimiter } from './limiter.js';
import { CONSUMER_HEADER, KEY_HEADER, type PublishInput } from './publish.js';

/** How handler transactions run: asynchronously (pg, PGlite) or as one synchronous call (better-sqlite3). */
export type TransactionRunner<Tx> =
  | { readonly mode: 'async'; run<T>(fn: (tx: Tx) => Promise<T>): Promise<T> }
  | { readonly mode: 'sync'; run<T>(fn: (tx: Tx) => T): T };

export interface DispatchDeps<Tx> {
  consumers: ReadonlyMap<string, ResolvedConsumer>;
  transaction: TransactionRunner<Tx>;
  inbox: Inbox<Tx>;
  publish(tx: Tx, input: PublishInput | readonly PublishInput[], sync: boolean): Promise<void>;
  random: () => number;
  /** Wraps each handler call (a process span...). */
  instrument?: ProcessHook | undefined;
}

/** A message for a consumer this process does not have (a rolling deploy): try again later, never poison it. */
const UNKNOWN_CONSUMER_RETRY_MS = 5000;

/**
 * The producer behind in-process consumers: each message runs its consumer's handler in a
 * transaction through the inbox. Messages of one key run in order and a failure stops the rest
 * of that key; everything else runs in parallel within each consumer's concurrency limit.
 */
export function createDispatcher<Tx>(deps: DispatchDeps<Tx>): ProduceFn {
  const limits = new Map([...deps.consumers.values()].map((c) => [c.name, createLimiter(c.concurrency)]));

  const handleOne = async (m: OutboxMessage, relay: AbortSignal): Promise<ProduceFailure | undefined> => {
    const consumer = deps.consumers.get(m.headers[CONSUMER_HEADER] ?? '');
    if (!consumer) {
      return { id: m.id, error: `no consumer named ${JSON.stringify(m.headers[CONSUMER_HEADER])} in this process`, retryInMs: UNKNOWN_CONSUMER_RETRY_MS };
    }
    try {
      await limits.get(consumer.name)!(() => {
        if (relay.aborted) throw new Interrupted('the relay\'s produce deadline passed before the handler started');
        const info = () => ({ system: 'txbox', subscription: consumer.name, message: m, attempt: m.attempts + 1, maxAttempts: consumer.maxAttempts });
        return throughHook(deps.instrument, info, () => runHandler(deps, consumer, m, relay));
      });
      return undefined;
    } catch (error) {
      // Not the handler's failure: released without counting an attempt, and claimed again.
      if (error instanceof Interrupted) return { id: m.id, error: error.message, unavailable: true };
      const attempt = m.attempts + 1;
      if (attempt >= consumer.maxAttempts) return { id: m.id, error, permanent: true };
      return { id: m.id, error, retryInMs: backoffDelay(consumer.backoff, attempt, deps.random) };
    }
  };

  // Once the relay's deadline aborts `signal`, no handler starts, running ones are abandoned
  // (their transactions roll back) and the answer comes at once: handlers that succeeded are ok,
  // those that failed count an attempt, and the rest are released without one.
  return async (batch, { signal }) => {
    const groups = new Map<string, OutboxMessage[]>();
    batch.forEach((m, i) => {
      const group = m.key ?? `\0${i}`;
      groups.set(group, [...(groups.get(group) ?? []), m]);
    });
    const ok: string[] = [];
    const failed: ProduceFailure[] = [];
    await Promise.all(
      [...groups.values()].map(async (messages) => {
        for (const m of messages) {
          const failure = await handleOne(m, signal);
          if (failure) {
            failed.push(failure);
            return; // later messages of this key wait for it
          }
          ok.push(m.id);
        }
      }),
    );
    return { ok, failed };
  };
}

/** The relay abandoned the batch before this handler finished: not a failure of the handler. */
class Interrupted extends Error {}

async function runHandler<Tx>(deps: DispatchDeps<Tx>, consumer: ResolvedConsumer, m: OutboxMessage, relay: AbortSignal): Promise<void> {
  const timeout = new AbortController();
  const timer = setTimeout(
    () => timeout.abort(new TxboxError('PRODUCE_TIMEOUT', `consumer ${consumer.name} did not finish within ${consumer.timeoutMs} ms`)),
    consumer.timeoutMs,
  );
  const interrupt = () => timeout.abort(new Interrupted('the relay\'s produce deadline passed while the handler ran; it was abandoned'));
  relay.addEventListener('abort', interrupt, { once: true });
  const ids = { consumer: consumer.name, messageId: m.id };
  const sync = deps.transaction.mode === 'sync';
  const context = (ictx: HandlerContext<Tx>): ConsumeContext<Tx, unknown> => ({
    payload: parsePayload(m),
    message: m,
    key: m.headers[KEY_HEADER] ?? null,
    tx: ictx.tx,
    attempt: m.attempts + 1,
    signal: timeout.signal,
    publish: (input) => deps.publish(ictx.tx, input, sync),
    send: (messages) => (sync ? Promise.resolve(ictx.sendSync(messages)) : ictx.send(messages)),
  });
  try {
    if (deps.transaction.mode === 'sync') {
      deps.transaction.run((tx) =>
        deps.inbox.handleOnceSync(tx, ids, (ictx) => {
          const returned = consumer.handle(context(ictx));
          if (returned && typeof (returned as Promise<void>).then === 'function') {
            throw new TxboxError('NOT_SUPPORTED', `consumer ${consumer.name} returned a promise: with a synchronous driver (better-sqlite3) handlers run inside a synchronous transaction and must not await`);
          }
        }),
      );
      return;
    }
    const run = deps.transaction.run((tx) =>
      deps.inbox.handleOnce(tx, ids, async (ictx) => {
        await consumer.handle(context(ictx));
        // Finished after its timeout or after the relay gave up: roll back, the retry runs it again.
        if (timeout.signal.aborted) throw timeout.signal.reason;
      }),
    );
    run.catch(() => {}); // reported through the race below, or moot after a timeout
    const timedOut = new Promise<never>((_, reject) => {
      if (timeout.signal.aborted) reject(timeout.signal.reason);
      timeout.signal.addEventListener('abort', () => reject(timeout.signal.reason), { once: true });
    });
    await Promise.race([run, timedOut]);
  } finally {
    clearTimeout(timer);
    relay.removeEventListener('abort', interrupt);
  }
}
