import { backoffDelay } from './backoff.js';
import type { RelayEventListener } from './events.js';
import type { ResolvedRelayOptions } from './relay-options.js';

/**
 * Keeps the store's cross-process watch (LISTEN/NOTIFY...) open while the relay runs, and opens
 * it again with backoff when it breaks. Polling keeps delivering in the meantime.
 */
export async function startWatch(o: ResolvedRelayOptions, stop: AbortSignal, onWake: () => void, emit: RelayEventListener): Promise<void> {
  const watch = o.store.watch!.bind(o.store);
  let failures = 0;
  while (!stop.aborted) {
    let fail!: (error: unknown) => void;
    const broken = new Promise<unknown>((resolve) => (fail = resolve));
    let error: unknown;
    try {
      const close = await watch(onWake, fail);
      failures = 0;
      const onStop = () => fail(undefined);
      // stop() may have come while the watch was opening: its abort event has fired already.
      if (stop.aborted) onStop();
      else stop.addEventListener('abort', onStop, { once: true });
      error = await broken;
      stop.removeEventListener('abort', onStop);
      await close().catch(() => {});
    } catch (caught) {
      error = caught;
    }
    if (stop.aborted) return;
    const retryInMs = backoffDelay(o.claimBackoff, ++failures, o.random);
    emit({ type: 'watch.failed', key: o.store.key, error, retryInMs });
    await o.clock.sleep(retryInMs, stop);
  }
}
