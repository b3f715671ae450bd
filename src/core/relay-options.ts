import { hostname } from 'node:os';
import { resolveBackoff, type Backoff, type BackoffOptions } from './backoff.js';
import { systemClock, type Clock } from './clock.js';
import { invalidOption } from './errors.js';
import { rejectUnknownOptions, type OptionKeys } from './option-keys.js';
import type { RelayEventListener } from './events.js';
import { consoleLogger, type Logger } from './logger.js';
import type { ResolvedWarnings, WarningOptions } from './warnings.js';
import { toProduceFn, type ProduceFn, type Producer } from './producer.js';
import type { OutboxStore } from './store.js';

export interface CleanupOptions {
  /** How often processed messages are removed (mark-processed mode). Default 60 s. */
  intervalMs?: number;
  /** Processed messages older than this are removed. Default 24 h. */
  maxAgeMs?: number;
  /** Rows removed per statement. Default 1000. */
  batchSize?: number;
}

export interface RelayOptions {
  // The store's transaction type is the writer's business, not the relay's.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  store: OutboxStore<any>;
  producer: Producer;
  /**
   * Most messages per claim and per produce call. Default 500 (`DEFAULT_BATCH_SIZE`): what a
   * hand-written drain loop uses, so a backlog drains at the database's pace. A batch is held in
   * memory while it is published: lower it for large payloads (1 MB messages: 500 MB a batch).
   */
  batchSize?: number;
  /** Claim loops run in parallel in this relay. Keys stay in order across them. Default 1. */
  concurrency?: number;
  /** Wait between claims once the outbox is empty (a nudge or watch event ends it early). Default 1000. */
  pollIntervalMs?: number;
  /** Claim again at once while batches come back full. Default true. */
  drainUntilEmpty?: boolean;
  /** Deadline of one produce call; must be shorter than the store's claim timeout. Default 10 s. */
  produceTimeoutMs?: number;
  /** Attempts before a message becomes a dead letter (`Infinity` allowed). Default 10. */
  maxAttempts?: number;
  /** Backoff of a failed message. Default 1 s doubling to 5 min, 50% jitter. */
  retry?: BackoffOptions;
  /** Wait after a failed claim (database down). Default 100 ms doubling to 10 s. */
  claimBackoff?: BackoffOptions;
  /** Wait after a producer threw (broker down). Default 100 ms doubling to 10 s. */
  produceBackoff?: BackoffOptions;
  /** Wait between attempts to acknowledge. Default 50 ms doubling to 2 s. */
  settleBackoff?: BackoffOptions;
  /** Attempts to acknowledge a batch before leaving it to be claimed again. Default 5. */
  settleAttempts?: number;
  /** Use the store's cross-process watch (LISTEN/NOTIFY) when it has one. Default true. */
  watch?: boolean;
  cleanup?: CleanupOptions;
  /**
   * Names this relay in events, logs and the attempt history of the messages it fails to
   * deliver. Default `<hostname>:<pid>`, with `#2`, `#3`... for later relays of the process.
   */
  owner?: string;
  clock?: Clock;
  /** Source of jitter; tests pass a fixed one. */
  random?: () => number;
  onEvent?: RelayEventListener;
  /**
   * Where failures and warnings are logged: any `{ debug, info, warn, error }` object (pino,
   * bunyan and console as they are; see docs/relay.md for winston), called as
   * `logger.warn(fields, message)`. Default: the console, info level and above. `false`: silent.
   */
  logger?: Logger | false;
  /** Identical failures are logged once, then summarized at most once per this interval while they go on. Default 30 s. */
  logRepeatIntervalMs?: number;
  /** Thresholds of the warnings raised without asking (`lag.high`, `backlog.growing`, `key.blocked`); `false` turns them off. */
  warnings?: WarningOptions | false;
}

export interface ResolvedRelayOptions {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  store: OutboxStore<any>;
  produce: ProduceFn;
  batchSize: number;
  concurrency: number;
  pollIntervalMs: number;
  drainUntilEmpty: boolean;
  produceTimeoutMs: number;
  maxAttempts: number;
  retry: Backoff;
  claimBackoff: Backoff;
  produceBackoff: Backoff;
  settleBackoff: Backoff;
  settleAttempts: number;
  watch: boolean;
  cleanup: Required<CleanupOptions>;
  owner: string;
  clock: Clock;
  random: () => number;
  onEvent: RelayEventListener | undefined;
  logger: Logger | undefined;
  logRepeatIntervalMs: number;
  warnings: ResolvedWarnings | undefined;
}

const DAY = 24 * 60 * 60 * 1000;

/**
 * Each claim costs its round trips whatever its size, so small batches leave a backlog draining
 * at a fraction of what the database can do (100: about half of a hand-written loop's 500). A
 * quiet outbox claims what is there, so the size adds no latency; what it costs is memory (the
 * batch's payloads) and, in lock mode, how many rows one claim holds while it publishes.
 */
export const DEFAULT_BATCH_SIZE = 500;

const RELAY_OPTION_KEYS: OptionKeys<RelayOptions> = {
  store: true, producer: true, batchSize: true, concurrency: true, pollIntervalMs: true, drainUntilEmpty: true, produceTimeoutMs: true, maxAttempts: true, retry: true,
  claimBackoff: true, produceBackoff: true, settleBackoff: true, settleAttempts: true, watch: true, cleanup: true, owner: true, clock: true, random: true, onEvent: true,
  logger: true, logRepeatIntervalMs: true, warnings: true,
};

export function resolveRelayOptions(o: RelayOptions): ResolvedRelayOptions {
  if (o === null || typeof o !== 'object') throw invalidOption('options', o, 'must be an object');
  rejectUnknownOptions<RelayOptions>(o, RELAY_OPTION_KEYS);
  rejectUnknownOptions<CleanupOptions>(o.cleanup, { intervalMs: true, maxAgeMs: true, batchSize: true }, 'cleanup');
  const store = o.store;
  if (!store || typeof store.claim !== 'function' || typeof store.settle !== 'function') {
    throw invalidOption('store', store, 'must be an outbox store (createPostgresStore, createSqliteStore...)');
  }
  const producer = o.producer;
  if (typeof producer !== 'function' && typeof (producer as { produce?: unknown })?.produce !== 'function') {
    throw invalidOption('producer', producer, 'must be a function or an object with a produce() method');
  }
  const produceTimeoutMs = positive('produceTimeoutMs', o.produceTimeoutMs, 10_000);
  if (produceTimeoutMs >= store.claimTimeoutMs) {
    throw invalidOption('produceTimeoutMs', produceTimeoutMs, `must be shorter than the store's claimTimeoutMs (${store.claimTimeoutMs})`);
  }
  const maxAttempts = o.maxAttempts ?? 10;
  if (!(maxAttempts === Infinity || (Number.isInteger(maxAttempts) && maxAttempts >= 1))) {
    throw invalidOption('maxAttempts', maxAttempts, 'must be an integer >= 1 or Infinity');
  }
  return {
    store,
    produce: toProduceFn(producer),
    batchSize: integer('batchSize', o.batchSize, DEFAULT_BATCH_SIZE, 1, 10_000),
    concurrency: integer('concurrency', o.concurrency, 1, 1, 64),
    pollIntervalMs: positive('pollIntervalMs', o.pollIntervalMs, 1000),
    drainUntilEmpty: o.drainUntilEmpty ?? true,
    produceTimeoutMs,
    maxAttempts,
    retry: resolveBackoff('retry', o.retry, { initialMs: 1000, maxMs: 300_000, multiplier: 2, jitter: 0.5 }),
    claimBackoff: resolveBackoff('claimBackoff', o.claimBackoff, { initialMs: 100, maxMs: 10_000, multiplier: 2, jitter: 0.5 }),
    produceBackoff: resolveBackoff('produceBackoff', o.produceBackoff, { initialMs: 100, maxMs: 10_000, multiplier: 2, jitter: 0.5 }),
    settleBackoff: resolveBackoff('settleBackoff', o.settleBackoff, { initialMs: 50, maxMs: 2000, multiplier: 2, jitter: 0.5 }),
    settleAttempts: integer('settleAttempts', o.settleAttempts, 5, 1, 1000),
    watch: o.watch ?? true,
    cleanup: {
      intervalMs: positive('cleanup.intervalMs', o.cleanup?.intervalMs, 60_000),
      maxAgeMs: positive('cleanup.maxAgeMs', o.cleanup?.maxAgeMs, DAY, true),
      batchSize: integer('cleanup.batchSize', o.cleanup?.batchSize, 1000, 1, 100_000),
    },
    owner: resolveOwner(o.owner),
    clock: o.clock ?? systemClock,
    random: o.random ?? Math.random,
    onEvent: o.onEvent,
    logger: resolveLogger(o.logger),
    logRepeatIntervalMs: positive('logRepeatIntervalMs', o.logRepeatIntervalMs, 30_000),
    warnings: resolveWarnings(o.warnings),
  };
}

let relaysMade = 0;

/** What an operator can find the relay by: its host and process (and which of the process's relays). */
function resolveOwner(owner: string | undefined): string {
  if (owner !== undefined) {
    if (typeof owner !== 'string' || owner.length === 0 || owner.length > 200) throw invalidOption('owner', owner, 'must be a non-empty string of at most 200 characters');
    return owner;
  }
  relaysMade++;
  return `${hostname()}:${process.pid}${relaysMade === 1 ? '' : `#${relaysMade}`}`;
}

function resolveLogger(logger: Logger | false | undefined): Logger | undefined {
  if (logger === false) return undefined;
  if (logger === undefined) return consoleLogger();
  if (logger === null || typeof logger !== 'object') throw invalidOption('logger', logger, 'must be an object with debug, info, warn and error methods (pino, console...), or false');
  for (const level of ['debug', 'info', 'warn', 'error'] as const) {
    if (typeof logger[level] !== 'function') throw invalidOption(`logger.${level}`, logger[level], 'must be a function');
  }
  return logger;
}

function resolveWarnings(w: WarningOptions | false | undefined): ResolvedWarnings | undefined {
  if (w === false) return undefined;
  if (w !== undefined && (w === null || typeof w !== 'object')) throw invalidOption('warnings', w, 'must be an object or false');
  rejectUnknownOptions<WarningOptions>(w, { intervalMs: true, lagMs: true, backlog: true, backlogForMs: true, keyFailures: true }, 'warnings');
  const orOff = (field: string, value: number | undefined, fallback: number, isInteger = false) => {
    const v = value ?? fallback;
    if (v === Infinity) return v;
    return isInteger ? integer(field, v, fallback, 1, Number.MAX_SAFE_INTEGER) : positive(field, v, fallback);
  };
  return {
    intervalMs: positive('warnings.intervalMs', w?.intervalMs, 15_000),
    lagMs: orOff('warnings.lagMs', w?.lagMs, 60_000),
    backlog: orOff('warnings.backlog', w?.backlog, 10_000, true),
    backlogForMs: positive('warnings.backlogForMs', w?.backlogForMs, 300_000, true),
    keyFailures: orOff('warnings.keyFailures', w?.keyFailures, 5, true),
  };
}

function positive(field: string, value: number | undefined, fallback: number, allowZero = false): number {
  const v = value ?? fallback;
  if (!(Number.isFinite(v) && (allowZero ? v >= 0 : v > 0))) throw invalidOption(field, v, `must be a finite number ${allowZero ? '>=' : '>'} 0`);
  return v;
}

function integer(field: string, value: number | undefined, fallback: number, min: number, max: number): number {
  const v = value ?? fallback;
  if (!(Number.isInteger(v) && v >= min && v <= max)) throw invalidOption(field, v, `must be an integer from ${min} to ${max}`);
  return v;
}
