import { backoffDelay } from './backoff.js';
import type { RelayEventListener } from './events.js';
import type { ResolvedRelayOptions } from './relay-options.js';
import type { OutboxStore } from './store.js';

type Watch = NonNullable<OutboxStore['watch']>;

/**
 * Keeps the store's cross-process watch (LISTEN/NOTIFY...) open while the relay runs, and opens
 * it again with backoff when it breaks. Polling keeps delivering in the meantime. Resolves soon
 * after `stop` aborts, whenever that happens: before, during or after the watch is opened.
 */
export async function startWatch(o: ResolvedRelayOptions, stop: AbortSignal, onWake: () => void, emit: RelayEventListener): Promise<void> {
  const watch: Watch = o.store.watch!.bind(o.store);
  let failures = 0;
  while (!stop.aborted) {
    const { opened, error } = await watchUntilBroken(watch, stop, onWake);
    if (stop.aborted) return;
    if (opened) failures = 0;
    const retryInMs = backoffDelay(o.claimBackoff, ++failures, o.random);
    emit({ type: 'watch.failed', key: o.store.key, error, retryInMs });
    await o.clock.sleep(retryInMs, stop);
  }
}

/** One watch session: ends when the watch breaks (with its error) or the relay stops, and is closed. */
async function watchUntilBroken(watch: Watch, stop: AbortSignal, onWake: () => void): Promise<{ opened: boolean; error: unknown }> {
  let end!: (error: unknown) => void;
  const ended = new Promise<unknown>((resolve) => (end = resolve));
  // Subscribed before opening: an abort fires once, so a stop that comes while the watch is being
  // opened must already be heard, or this session would wait for it forever.
  const onStop = () => end(undefined);
  stop.addEventListener('abort', onStop, { once: true });
  if (stop.aborted) onStop();
  try {
    let close: () => Promise<void>;
    try {
      close = await watch(onWake, end);
    } catch (error) {
      return { opened: false, error };
    }
    const error = await ended;
    await close().catch(() => {});
    return { opened: true, error };
  } finally {
    stop.removeEventListener('abort', onStop);
  }
}
