import { setMaxListeners } from 'node:events';
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

/**
 * A signal of our own that follows `outer`, for one produce call: every parallel publish listens
 * to it, and the relay's signal gets a single listener (Node warns past ten on one signal).
 */
export function followSignal(outer: AbortSignal, listeners: number): { signal: AbortSignal; dispose(): void } {
  const inner = new AbortController();
  setMaxListeners(listeners + 10, inner.signal);
  const forward = () => inner.abort(outer.reason);
  if (outer.aborted) forward();
  else outer.addEventListener('abort', forward, { once: true });
  return { signal: inner.signal, dispose: () => outer.removeEventListener('abort', forward) };
}
