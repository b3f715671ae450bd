import { backoffDelay } from './backoff.js';
import { deliverBatch, type BatchReport } from './deliver.js';
import { safeEmitter } from './events.js';
import { resolveRelayOptions, type RelayOptions, type ResolvedRelayOptions } from './relay-options.js';
import type { OutboxKey } from './store.js';
import { Waiter } from './waiter.js';
import { startWatch } from './watch.js';

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
}

/** The engine: wake → claim → produce → acknowledge or reschedule → repeat while batches are full. */
export function createRelay(options: RelayOptions): Relay {
  const o = resolveRelayOptions(options);
  const emit = safeEmitter(o.onEvent);
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
      session = startSession(o, claimAndDeliver);
      emit({ type: 'relay.started', key, owner: o.owner });
    },
    stop() {
      const current = session;
      if (!current) return Promise.resolve();
      current.stopped ??= current.shutdown().then(() => {
        if (session === current) session = undefined; // start() may run it again
        emit({ type: 'relay.stopped', key, owner: o.owner });
      });
      return current.stopped;
    },
    runOnce: claimAndDeliver,
    nudge() {
      session?.waiters.forEach((w) => w.nudge());
    },
  };
}

interface Session {
  readonly stop: AbortController;
  readonly waiters: readonly Waiter[];
  shutdown(): Promise<void>;
  stopped?: Promise<void>;
}

function startSession(o: ResolvedRelayOptions, claimAndDeliver: () => Promise<BatchReport | null>): Session {
  const emit = safeEmitter(o.onEvent);
  const stop = new AbortController();
  const waiters = Array.from({ length: o.concurrency }, () => new Waiter(o.clock, stop.signal));
  const nudgeAll = () => waiters.forEach((w) => w.nudge());
  const unsubscribe = o.store.wakes.subscribe(nudgeAll);
  const tasks = waiters.map((w) => workerLoop(o, w, stop.signal, claimAndDeliver, emit));
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
  emit: ReturnType<typeof safeEmitter>,
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
      await o.clock.sleep(retryInMs, stop);
      continue;
    }
    if (report?.producerThrew || report?.unreachable) {
      const retryInMs = backoffDelay(o.produceBackoff, ++produceFailures, o.random);
      emit({ type: 'produce.failed', key: o.store.key, error: report.producerError, count: report.claimed, retryInMs });
      await o.clock.sleep(retryInMs, stop);
      continue;
    }
    produceFailures = 0;
    if (!report || !o.drainUntilEmpty || !report.hasMore) await waiter.wait(o.pollIntervalMs);
  }
}

async function cleanupLoop(o: ResolvedRelayOptions, stop: AbortSignal, emit: ReturnType<typeof safeEmitter>): Promise<void> {
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
