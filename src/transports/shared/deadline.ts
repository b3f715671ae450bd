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

/** One publish under a `DeadlineQueue`. */
export interface Deadline {
  /** Aborts at the deadline when the queue is cancellable; otherwise the relay's signal. */
  readonly signal: AbortSignal;
  readonly due: number;
  readonly onExpire: (reason: unknown) => void;
  readonly controller: AbortController | undefined;
  done: boolean;
}

/**
 * Per-publish deadlines for one produce call, on one timer. Every publish gets the same timeout
 * and they start one after another, so their deadlines expire in the order they were set: a FIFO
 * and a timer armed for its oldest entry replace a timer, an abort controller, a listener and a
 * wrapping promise per message (which cost a tenth of a NATS publish). Each publish still ends at
 * its own deadline, or when `outer` (the relay's signal) aborts, even if the broker never answers.
 */
export class DeadlineQueue {
  private readonly queue: Deadline[] = [];
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
   * Starts the clock of one publish: `onExpire` runs at its deadline (or when the relay's signal
   * aborts) unless `finish` came first.
   */
  start(onExpire: (reason: unknown) => void): Deadline {
    const controller = this.cancellable ? new AbortController() : undefined;
    const deadline: Deadline = { signal: controller?.signal ?? this.outer, due: performance.now() + this.ms, onExpire, controller, done: false };
    if (this.outer.aborted) {
      deadline.done = true;
      onExpire(this.abortReason());
      return deadline;
    }
    this.queue.push(deadline);
    this.timer ??= setTimeout(this.expire, this.ms);
    return deadline;
  }

  /** The publish answered: true if it did so before its deadline (the answer counts). */
  finish(deadline: Deadline): boolean {
    if (deadline.done) return false;
    deadline.done = true;
    return true;
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
      const deadline = this.queue[this.head]!;
      if (!deadline.done && deadline.due > now) break;
      this.head++;
      if (!deadline.done) this.fail(deadline, markUnavailable(new TxboxError('PRODUCE_TIMEOUT', `no answer from ${this.what} within ${this.ms} ms`)));
    }
    if (this.head < this.queue.length) this.timer = setTimeout(this.expire, Math.max(0, this.queue[this.head]!.due - now));
  };

  private readonly abortAll = () => {
    clearTimeout(this.timer);
    const reason = this.abortReason();
    for (let i = this.head; i < this.queue.length; i++) if (!this.queue[i]!.done) this.fail(this.queue[i]!, reason);
    this.head = this.queue.length;
  };

  private fail(deadline: Deadline, reason: unknown): void {
    deadline.done = true;
    deadline.controller?.abort(reason);
    deadline.onExpire(reason);
  }

  private abortReason(): unknown {
    return this.outer.reason ?? new TxboxError('PRODUCE_TIMEOUT', 'the produce call was aborted');
  }
}
