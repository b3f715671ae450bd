import { TxboxError } from '../../core/errors.js';
import { markUnavailable } from './failures.js';

/**
 * Runs one publish with its own deadline. The promise settles at the deadline or when `outer`
 * (the relay's signal) aborts, even if the broker never answers: a lost confirm must not stall
 * the relay. `run` receives a signal that aborts in both cases, for clients that can cancel.
 */
export function withDeadline<T>(run: (signal: AbortSignal) => Promise<T>, ms: number, outer: AbortSignal, what = 'the broker'): Promise<T> {
  const inner = new AbortController();
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const cleanup = () => {
      clearTimeout(timer);
      outer.removeEventListener('abort', onAbort);
    };
    const fail = (reason: unknown) => {
      cleanup();
      inner.abort(reason);
      reject(reason);
    };
    function onAbort() {
      fail(outer.reason ?? new TxboxError('PRODUCE_TIMEOUT', 'the produce call was aborted'));
    }
    if (outer.aborted) return onAbort();
    outer.addEventListener('abort', onAbort, { once: true });
    timer = setTimeout(() => fail(markUnavailable(new TxboxError('PRODUCE_TIMEOUT', `no answer from ${what} within ${ms} ms`))), ms);
    let running: Promise<T>;
    try {
      running = run(inner.signal);
    } catch (error) {
      return fail(error);
    }
    running.then(
      (value) => {
        cleanup();
        resolve(value);
      },
      (error) => {
        cleanup();
        reject(error);
      },
    );
  });
}

interface Pending {
  readonly due: number;
  readonly reject: (reason: unknown) => void;
  readonly controller: AbortController | undefined;
  settled: boolean;
}

/**
 * Per-publish deadlines for one produce call, on one timer. Every publish gets the same timeout
 * and they start one after another, so their deadlines expire in the order they were set: a FIFO
 * and a timer armed for its oldest entry replace a timer, an abort controller and a listener per
 * message (which cost a third of a NATS publish). Each publish still settles at its own deadline,
 * or when `outer` (the relay's signal) aborts, even if the broker never answers.
 */
export class DeadlineQueue {
  private readonly queue: Pending[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;

  /** `cancellable`: give each publish its own signal, aborted at its deadline (fetch uses it). */
  constructor(
    private readonly ms: number,
    private readonly outer: AbortSignal,
    private readonly what: string,
    private readonly cancellable = false,
  ) {
    outer.addEventListener('abort', this.abortAll, { once: true });
  }

  /**
   * Runs one publish. Its signal aborts at the publish's deadline when the queue is cancellable;
   * otherwise it is the relay's signal, which aborts only on shutdown.
   */
  run<T>(publish: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (this.outer.aborted) return Promise.reject(this.abortReason());
    return new Promise<T>((resolve, reject) => {
      const controller = this.cancellable ? new AbortController() : undefined;
      const entry: Pending = { due: performance.now() + this.ms, reject, controller, settled: false };
      this.queue.push(entry);
      this.timer ??= setTimeout(this.expire, this.ms);
      const settle = (fn: () => void) => {
        if (entry.settled) return;
        entry.settled = true;
        fn();
      };
      let running: Promise<T>;
      try {
        running = publish(controller?.signal ?? this.outer);
      } catch (error) {
        return settle(() => reject(error));
      }
      running.then(
        (value) => settle(() => resolve(value)),
        (error) => settle(() => reject(error)),
      );
    });
  }

  /** Stops the timer and the relay-signal listener; call when the produce call is over. */
  dispose(): void {
    clearTimeout(this.timer);
    this.outer.removeEventListener('abort', this.abortAll);
  }

  private readonly expire = () => {
    this.timer = undefined;
    const now = performance.now();
    while (this.head < this.queue.length) {
      const entry = this.queue[this.head]!;
      if (!entry.settled && entry.due > now) break;
      this.head++;
      if (!entry.settled) this.fail(entry, markUnavailable(new TxboxError('PRODUCE_TIMEOUT', `no answer from ${this.what} within ${this.ms} ms`)));
    }
    if (this.head < this.queue.length) this.timer = setTimeout(this.expire, Math.max(0, this.queue[this.head]!.due - now));
  };

  private readonly abortAll = () => {
    clearTimeout(this.timer);
    const reason = this.abortReason();
    for (let i = this.head; i < this.queue.length; i++) if (!this.queue[i]!.settled) this.fail(this.queue[i]!, reason);
    this.head = this.queue.length;
  };

  private fail(entry: Pending, reason: unknown): void {
    entry.settled = true;
    entry.controller?.abort(reason);
    entry.reject(reason);
  }

  private abortReason(): unknown {
    return this.outer.reason ?? new TxboxError('PRODUCE_TIMEOUT', 'the produce call was aborted');
  }
}
