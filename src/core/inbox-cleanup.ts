import { systemClock, type Clock } from './clock.js';
import { invalidOption } from './errors.js';
import type { Inbox } from './inbox.js';

export interface InboxCleanupOptions {
  /** Time between cleanups. Default 60 s. */
  intervalMs?: number;
  /** Rows removed per statement. Default 1000. */
  batchSize?: number;
  onError?: (error: unknown) => void;
  /** Called after each round with the number of rows removed. */
  onCleanup?: (removed: number) => void;
  clock?: Clock;
}

/**
 * Removes inbox ids older than the inbox's window, now and then, in bounded batches. Run it in
 * as many processes as you like: the SQL stores let only one cleaner work at a time.
 * Returns a function that stops it (and waits for a round in progress).
 */
export function startInboxCleanup(inbox: Inbox<unknown>, options: InboxCleanupOptions = {}): () => Promise<void> {
  const { intervalMs = 60_000, batchSize = 1000, onError, onCleanup, clock = systemClock } = options;
  if (!(Number.isFinite(intervalMs) && intervalMs > 0)) throw invalidOption('intervalMs', intervalMs, 'must be a positive number');
  if (!(Number.isInteger(batchSize) && batchSize > 0)) throw invalidOption('batchSize', batchSize, 'must be a positive integer');
  const stop = new AbortController();
  const loop = (async () => {
    while (!stop.signal.aborted) {
      await clock.sleep(intervalMs, stop.signal);
      if (stop.signal.aborted) return;
      try {
        onCleanup?.(await inbox.cleanup(batchSize));
      } catch (error) {
        onError?.(error);
      }
    }
  })();
  return async () => {
    stop.abort();
    await loop;
  };
}
