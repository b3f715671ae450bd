import { backoffDelay } from './backoff.js';
import { deliverBatch, type BatchReport } from './deliver.js';
import { TxboxError } from './errors.js';
import { safeEmitter, type RelayEventListener } from './events.js';
import { HealthTracker, type RelayHealth } from './health.js';
import { logListener } from './logger.js';
import { resolveRelayOptions, type RelayOptions, type ResolvedRelayOptions } from './relay-options.js';
import type { OutboxStats, StatsOptions } from './stats.js';
import type { OutboxKey } from './store.js';
import { Waiter } from './waiter.js';
import { monitorLoop, WarningMonitor } from './warnings.js';
import { startWatch } from './watch.js';

/** A store's stats, with the outbox they are about. */
export interface RelayStats extends OutboxStats {
  readonly key: OutboxKey;
}

export interface Relay {
  readonly key: OutboxKey;
  readonly running: boolean;
  /** Starts the claim loops. Idempotent. Does no work before it is called. */
  start(): void;
  /** Finishes the batches in flight (and acknowledges them), then stops. Idempotent. */
  stop(): Promise<void>;
  /** Claims and delivers one batch now. Resolves to null when nothing was claimable. */
  runOnce(): Promise<BatchReport | null>;
  /** Wakes the claim loops now, e.g. after a commit made outside the store's own helpers. */
  nudge(): void;
  /** Liveness and readiness, for a probe to serve (see RelayHealth for the rules). No I/O. */
  health(): RelayHealth;
  /** The store's stats for this outbox: one query. Throws NOT_SUPPORTED if the store has no `stats()`. */
  stats(options?: StatsOptions): Promise<RelayStats>;
}

/** Every listener of one relay: the user's, the logger, the warnings, behind one emitter. */
interface Observers {
  readonly emit: RelayEventListener;
  readonly health: HealthTracker;
  readonly warnings: WarningMonitor | undefined;
}

function observers(o: ResolvedRelayOptions): Observers {
  const key = o.store.key;
  const log = o.logger ? logListener(o.logger, { repeatIntervalMs: o.logRepeatIntervalMs, clock: o.clock, owner: o.owner }) : undefined;
  const out = safeEmitter(o.onEvent, log);
  const warnings = o.warnings ? new WarningMonitor(o.warnings, key, o.clock, out) : undefined;
  const emit = safeEmitter(out, warnings && ((e) => warnings.observe(e)));
  // A loop can finish a cycle no later than: its poll wait, a claim's and a produce call's
  // deadlines (within the claim timeout), and its longest backoff after a failure.
  const longestBackoff = Math.max(o.claimBackoff.maxMs, o.produceBackoff.maxMs);
  const livenessTimeoutMs = 3 * o.pollIntervalMs + o.store.claimTimeoutMs + longestBackoff;
  return { emit, health: new HealthTracker(key, livenessTimeoutMs, out), warnings };
}

/** The engine: wake → claim → produce → acknowledge or reschedule → repeat while batches are full. */
export function createRelay(options: RelayOptions): Relay {
  const o = resolveRelayOptions(options);
  const watchers = observers(o);
  const { emit, health } = watchers;
  const key = o.store.key;
  let session: Session | undefined;

  const claimAndDeliver = async (): Promise<BatchReport | null> => {
    const claimStart = o.clock.now();
    const batch = await o.store.claim({ limit: o.batchSize });
    if (!batch || batch.messages.length === 0) return null;
    // The claim's age counts from the request: the lease may be that old if the answer was late to be read.
    return deliverBatch(o, batch, claimStart, o.clock.now() - claimStart, emit);
  };

  return {
    key,
    get running() {
      return session !== undefined && !session.stop.signal.aborted;
    },
    start() {
      if (session) return;
      health.started(o.clock.now());
      session = startSession(o, claimAndDeliver, watchers);
      emit({ type: 'relay.started', key, owner: o.owner });
    },
    stop() {
      const current = session;
      if (!current) return Promise.resolve();
      current.stopped ??= current.shutdown().then(() => {
        if (session === current) session = undefined; // start() may run it again
        health.stopped();
        emit({ type: 'relay.stopped', key, owner: o.owner });
      });
      return current.stopped;
    },
    runOnce: claimAndDeliver,
    nudge() {
      session?.waiters.forEach((w) => w.nudge());
    },
    health: () => health.read(o.clock.now()),
    async stats(statsOptions) {
      if (!o.store.stats) throw new TxboxError('NOT_SUPPORTED', `the ${key.kind} store has no stats()`);
      return { key, ...(await o.store.stats(statsOptions)) };
    },
  };
}

interface Session {
  readonly stop: AbortController;
  readonly waiters: readonly Waiter[];
  shutdown(): Promise<void>;
  stopped?: Promise<void>;
}

function startSession(o: ResolvedRelayOptions, claimAndDeliver: () => Promise<BatchReport | null>, watchers: Observers): Session {
  const { emit, warnings } = watchers;
  const stop = new AbortController();
  const waiters = Array.from({ length: o.concurrency }, () => new Waiter(o.clock, stop.signal));
  const nudgeAll = () => waiters.forEach((w) => w.nudge());
  const unsubscribe = o.store.wakes.subscribe(nudgeAll);
  const tasks = waiters.map((w) => workerLoop(o, w, stop.signal, claimAndDeliver, watchers));
  if (warnings && o.store.stats) tasks.push(monitorLoop(o.store, warnings, o.warnings!.intervalMs, o.clock, stop.signal));
  if (o.store.completion === 'markProcessed') tasks.push(cleanupLoop(o, stop.signal, emit));
  if (o.watch && o.store.watch) tasks.push(startWatch(o, stop.signal, nudgeAll, emit));
  return {
    stop,
    waiters,
    async shutdown() {
      stop.abort();
      unsubscribe();
      await Promise.all(tasks);
    },
  };
}

async function workerLoop(
  o: ResolvedRelayOptions,
  waiter: Waiter,
  stop: AbortSignal,
  claimAndDeliver: () => Promise<BatchReport | null>,
  { emit, health }: Observers,
): Promise<void> {
  let claimFailures = 0;
  let produceFailures = 0;
  while (!stop.aborted) {
    let report: BatchReport | null;
    try {
      report = await claimAndDeliver();
      claimFailures = 0;
    } catch (error) {
      const retryInMs = backoffDelay(o.claimBackoff, ++claimFailures, o.random);
      emit({ type: 'claim.failed', key: o.store.key, error, retryInMs });
      health.failed('claim', error, o.clock.now());
      await o.clock.sleep(retryInMs, stop);
      continue;
    }
    // Answered: an empty claim at once, a full one after its batch was produced and settled.
    health.claimAnswered(o.clock.now());
    if (report?.producerThrew || report?.unreachable) {
      const retryInMs = backoffDelay(o.produceBackoff, ++produceFailures, o.random);
      emit({ type: 'produce.failed', key: o.store.key, error: report.producerError, count: report.claimed, retryInMs });
      health.failed('produce', report.producerError, o.clock.now());
      await o.clock.sleep(retryInMs, stop);
      continue;
    }
    produceFailures = 0;
    if (report) health.produceAnswered(o.clock.now());
    else health.cycleSucceeded(o.clock.now());
    if (!report || !o.drainUntilEmpty || !report.hasMore) await waiter.wait(o.pollIntervalMs);
  }
}

async function cleanupLoop(o: ResolvedRelayOptions, stop: AbortSignal, emit: RelayEventListener): Promise<void> {
  const { intervalMs, maxAgeMs, batchSize } = o.cleanup;
  while (!stop.aborted) {
    await o.clock.sleep(intervalMs, stop);
    if (stop.aborted) return;
    try {
      let removed = 0;
      let last: number;
      do {
        last = await o.store.cleanup(maxAgeMs, batchSize);
        removed += last;
      } while (last === batchSize && !stop.aborted);
      emit({ type: 'cleanup.done', key: o.store.key, removed });
    } catch (error) {
      emit({ type: 'cleanup.failed', key: o.store.key, error });
    }
  }
}
