import type { NatsStatusLike } from './types.js';

/**
 * While nats.js reconnects it buffers requests, so a publish would wait for its deadline. Watching
 * the connection's status lets the producer fail at once instead. The watch starts with the first
 * publish (the factory does no I/O) and ends when the connection closes.
 */
export function connectionWatch(nc: NatsStatusLike | undefined): () => boolean {
  if (!nc) return () => false;
  let watching = false;
  let down = false;
  return () => {
    if (!watching) {
      watching = true;
      void (async () => {
        for await (const s of nc.status()) {
          if (s.type === 'disconnect') down = true;
          else if (s.type === 'reconnect') down = false;
        }
      })().catch(() => {});
    }
    return down || nc.isClosed();
  };
}
