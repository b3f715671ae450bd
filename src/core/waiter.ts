import type { Clock } from './clock.js';

/**
 * Sleeps between claims until the poll interval passes, a nudge arrives, or the relay stops.
 * A nudge that arrives while the worker is busy is remembered, so a commit made during a batch
 * is never missed until the next poll.
 */
export class Waiter {
  #pending = false;
  #wake: (() => void) | undefined;
  readonly #clock: Clock;
  readonly #stop: AbortSignal;

  constructor(clock: Clock, stop: AbortSignal) {
    this.#clock = clock;
    this.#stop = stop;
  }

  nudge(): void {
    if (this.#wake) this.#wake();
    else this.#pending = true;
  }

  async wait(ms: number): Promise<void> {
    if (this.#pending || this.#stop.aborted) {
      this.#pending = false;
      return;
    }
    const woken = new AbortController();
    const wake = () => woken.abort();
    this.#wake = wake;
    this.#stop.addEventListener('abort', wake, { once: true });
    try {
      await this.#clock.sleep(ms, woken.signal);
    } finally {
      this.#wake = undefined;
      this.#stop.removeEventListener('abort', wake);
    }
  }
}
