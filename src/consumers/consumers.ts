import { invalidOption } from '../core/errors.js';
import { rejectUnknownOptions } from '../core/option-keys.js';
import type { RelayEventListener } from '../core/events.js';
import type { TraceContextSource } from '../core/message.js';
import type { ProcessHook } from '../core/process-hook.js';
import { createInbox, type InboxStore } from '../core/inbox.js';
import { createOutbox } from '../core/outbox.js';
import { createRelay, type Relay } from '../core/relay.js';
import type { RelayOptions } from '../core/relay-options.js';
import type { BatchReport } from '../core/deliver.js';
import type { DeadLetter, OutboxStore } from '../core/store.js';
import { systemClock, type Clock } from '../core/clock.js';
import { TxboxError } from '../core/errors.js';
import { safeEmitter } from '../core/events.js';
import type { ScheduleStore, StoredSchedule } from '../core/schedule-store.js';
import type { ScheduleDefinition } from './schedule.js';
import { createScheduler, type Scheduler } from './scheduler.js';
import { resolveConsumer, type ConsumerDefinition, type ResolvedConsumer } from './definition.js';
import { createDispatcher, type TransactionRunner } from './dispatch.js';
import { CONSUMER_HEADER, fanOut, type Delivery, type PublishInput } from './publish.js';
import { publishDebounced, publishDebouncedSync } from './debounce.js';
import { produceDeadlineMs } from './windows.js';

/**
 * What createConsumers takes. `Tx` is the handle each handler's `ctx.tx` is, and it is taken
 * from where the transactions come from, nowhere else: the `transaction` runner (an adapter's:
 * `kyselyTransactions(db, store)`...), or, with no runner, the handle the store's own
 * `transaction(fn)` passes to `fn` (a `pg.PoolClient`, a better-sqlite3 `Database`...). The
 * store, inbox, schedules and consumers must then accept that handle: a handler typed for
 * another stack's transaction does not compile.
 */
export interface ConsumersOptions<Tx> {
  /** The outbox store the messages live in (createPostgresStore, createSqliteStore...). */
  store: OutboxStore<NoInfer<Tx>> & { transaction?: unknown };
  /** The inbox that makes each handler's effects happen once (createPostgresInbox, createSqliteInbox...). */
  inbox: InboxStore<NoInfer<Tx>>;
  // Consumers differ in payload types; the definitions keep theirs.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  consumers: readonly ConsumerDefinition<NoInfer<Tx>, any>[];
  /** How handler transactions run (`typeOrmTransactions(dataSource, store)`...). Default: the store's own `transaction` helper. */
  transaction?: TransactionRunner<Tx> | undefined;
  /** Messages claimed at once. Default 20. */
  batchSize?: number;
  /** Claim loops. Default 2. */
  concurrency?: number;
  /** Sleep when nothing is due. Default 1000 ms. */
  pollIntervalMs?: number;
  /** Where recurring messages live (createPostgresSchedules, createSqliteSchedules...). */
  schedules?: ScheduleStore<NoInfer<Tx>>;
  /** How often due schedules are checked. Default 1000 ms. */
  scheduleIntervalMs?: number;
  onEvent?: RelayEventListener;
  /** Stamps the sending span's context on published messages (`otel.traceContext` from txbox/opentelemetry). */
  traceContext?: TraceContextSource;
  /** Wraps each handler call, e.g. `otel.process` for a process span continuing the message's trace. */
  instrument?: ProcessHook;
  /** The relay's logger (see RelayOptions.logger): default the console, `false` silent. */
  logger?: RelayOptions['logger'];
  clock?: Clock;
  random?: () => number;
}

export interface Consumers<Tx> {
  /** Stores the message for each consumer of its topic, inside your transaction `tx`. */
  publish(tx: Tx, input: PublishInput | readonly PublishInput[]): Promise<void>;
  /** The same for synchronous drivers (better-sqlite3), inside a synchronous transaction. */
  publishSync(tx: Tx, input: PublishInput | readonly PublishInput[]): void;
  start(): void;
  /** Lets running handlers finish, acknowledges them, then stops. */
  stop(): Promise<void>;
  runOnce(): Promise<BatchReport | null>;
  /** Poisoned messages: those whose consumer failed on the last attempt. */
  readonly poisoned: {
    list(options?: { consumer?: string; limit?: number }): Promise<DeadLetter[]>;
    retry(ids: readonly string[]): Promise<number>;
    discard(ids: readonly string[]): Promise<number>;
  };
  /** Recurring messages from cron patterns, stored in the database; change them at run time. */
  readonly schedules: {
    set(definition: ScheduleDefinition): Promise<void>;
    remove(name: string): Promise<boolean>;
    list(): Promise<StoredSchedule[]>;
    /**
     * Publishes every due tick of the topics this process consumes now (start() does this every
     * `scheduleIntervalMs`). A schedule that fails to fire is reported as a `schedule.failed`
     * event and stays due; the others fire. Returns how many fired.
     */
    fireDue(): Promise<number>;
  };
  readonly relay: Relay;
}

/** A store whose `transaction(fn)` passes `Tx` to `fn` (a property, so the handle is checked strictly). */
interface OwnTransactions<Tx> {
  transaction: (fn: (tx: Tx) => never) => unknown;
}

/** In-process consumers on the application's own database (AsyncMonolith mode), on the outbox relay; handlers run in the transactions of `transaction`. */
export function createConsumers<Tx>(options: ConsumersOptions<Tx> & { transaction: TransactionRunner<Tx> }): Consumers<Tx>;
/** The same, with handlers in the store's own transactions: `ctx.tx` is what `store.transaction(fn)` passes to `fn`. */
export function createConsumers<Tx>(options: ConsumersOptions<Tx> & { store: OwnTransactions<Tx>; transaction?: undefined }): Consumers<Tx>;
export function createConsumers<Tx>(options: ConsumersOptions<Tx>): Consumers<Tx> {
  rejectUnknownOptions<ConsumersOptions<Tx>>(options, { store: true, inbox: true, consumers: true, transaction: true, batchSize: true, concurrency: true, pollIntervalMs: true, schedules: true, scheduleIntervalMs: true, onEvent: true, traceContext: true, instrument: true, logger: true, clock: true, random: true });
  const { store, consumers: definitions } = options ?? ({} as ConsumersOptions<Tx>);
  if (!store || typeof store.claim !== 'function') throw invalidOption('store', store, 'must be an outbox store');
  if (!Array.isArray(definitions) || definitions.length === 0) throw invalidOption('consumers', definitions, 'must be a non-empty array of consumer definitions');
  const consumers = new Map<string, ResolvedConsumer>();
  definitions.forEach((d, i) => {
    const c = resolveConsumer(d as ConsumerDefinition<never, never>, `consumers[${i}]`, store.claimTimeoutMs);
    if (consumers.has(c.name)) throw invalidOption(`consumers[${i}].name`, c.name, 'must be unique');
    consumers.set(c.name, c);
  });
  for (const field of ['traceContext', 'instrument'] as const) {
    if (options[field] !== undefined && typeof options[field] !== 'function') throw invalidOption(field, options[field], 'must be a function');
  }
  const byTopic = (topic: string) => [...consumers.values()].filter((c) => c.topics.includes(topic));
  const transaction = options.transaction ?? defaultRunner(store);
  const outbox = createOutbox({ store, ...(options.traceContext ? { traceContext: options.traceContext } : {}) });
  const inbox = createInbox({ store: options.inbox, outbox });
  const expand = (input: PublishInput | readonly PublishInput[]): Delivery[] =>
    Array.isArray(input) ? input.flatMap((one, i) => fanOut(one, `messages[${i}]`, byTopic)) : fanOut(input as PublishInput, 'messages[0]', byTopic);
  const plain = (deliveries: Delivery[]) => deliveries.filter((d) => !d.debounce).map((d) => d.message);
  const debounced = (deliveries: Delivery[]) => deliveries.filter((d) => d.debounce).map((d) => d.message);
  const publishSync = (tx: Tx, input: PublishInput | readonly PublishInput[]) => {
    const deliveries = expand(input);
    if (plain(deliveries).length > 0) outbox.sendSync(tx, plain(deliveries));
    for (const message of debounced(deliveries)) publishDebouncedSync(store, tx, message);
  };
  const publish = async (tx: Tx, input: PublishInput | readonly PublishInput[]) => {
    const deliveries = expand(input);
    if (plain(deliveries).length > 0) await outbox.send(tx, plain(deliveries));
    for (const message of debounced(deliveries)) await publishDebounced(store, tx, message);
  };

  const longest = Math.max(...[...consumers.values()].map((c) => c.timeoutMs));
  const relay = createRelay({
    store,
    producer: createDispatcher({
      consumers,
      transaction,
      inbox,
      publish: (tx, input, sync) => (sync ? Promise.resolve(publishSync(tx, input)) : publish(tx, input)),
      random: options.random ?? Math.random,
      instrument: options.instrument,
    }),
    batchSize: options.batchSize ?? 20,
    concurrency: options.concurrency ?? 2,
    pollIntervalMs: options.pollIntervalMs ?? 1000,
    // Each consumer decides its own attempts and backoff; the relay only applies them.
    maxAttempts: Infinity,
    produceTimeoutMs: produceDeadlineMs(longest, store.claimTimeoutMs),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });

  const emit = safeEmitter(options.onEvent);
  const scheduler = options.schedules
    ? createScheduler({
        store: options.schedules,
        transaction,
        publish: (tx, input, sync) => (sync ? Promise.resolve(publishSync(tx, input)) : publish(tx, input)),
        topics: [...new Set([...consumers.values()].flatMap((c) => c.topics))],
        clock: options.clock ?? systemClock,
        onFired: (s) => emit({ type: 'schedule.fired', key: store.key, name: s.name, scheduledFor: s.nextRunAt }),
        onError: (error) => emit({ type: 'schedule.failed', key: store.key, error }),
      })
    : undefined;
  const noSchedules = (): Scheduler => {
    throw new TxboxError('NOT_SUPPORTED', 'no schedule store: pass createConsumers({ schedules: createPostgresSchedules(...) })');
  };
  const schedules = () => scheduler ?? noSchedules();
  let ticking: { stop: AbortController; done: Promise<void> } | undefined;

  return {
    publish,
    publishSync,
    start() {
      relay.start();
      if (scheduler && !ticking) {
        const stop = new AbortController();
        ticking = { stop, done: scheduler.run(options.scheduleIntervalMs ?? 1000, stop.signal) };
      }
    },
    async stop() {
      ticking?.stop.abort();
      await ticking?.done;
      ticking = undefined;
      await relay.stop();
    },
    schedules: {
      set: (d) => schedules().set(d),
      remove: (name) => schedules().remove(name),
      list: () => schedules().list(),
      fireDue: () => schedules().fireDue(),
    },
    runOnce: () => relay.runOnce(),
    relay,
    poisoned: {
      async list({ consumer, limit = 100 } = {}) {
        if (consumer === undefined) return store.listDeadLetters({ limit });
        // Filtered by the store's query, so another consumer's dead letters ahead never hide these.
        const dead = await store.listDeadLetters({ limit, header: { name: CONSUMER_HEADER, value: consumer } });
        return dead.filter((d) => d.headers[CONSUMER_HEADER] === consumer);
      },
      retry: (ids) => store.requeueDeadLetters(ids),
      discard: (ids) => store.discardDeadLetters(ids),
    },
  };
}

function defaultRunner<Tx>(store: OutboxStore<Tx> & { transaction?: unknown }): TransactionRunner<Tx> {
  const run = store.transaction;
  if (typeof run !== 'function') throw invalidOption('transaction', undefined, `is required: the ${store.key.kind} store has no transaction helper`);
  // better-sqlite3 transactions are synchronous functions; every other store's helper is async.
  const mode = store.key.kind === 'sqlite' ? 'sync' : 'async';
  return { mode, run: run.bind(store) } as TransactionRunner<Tx>;
}
