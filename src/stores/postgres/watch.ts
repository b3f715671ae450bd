import type { PgPoolLike } from './driver.js';

/**
 * LISTEN on a dedicated connection; each notification wakes the relay. Only stores with the
 * `notify` option watch: writers NOTIFY only then (NOTIFY serialises committing transactions),
 * and a LISTEN nobody notifies would hold a pooled connection for nothing.
 *
 * The pool reuses the connection: each relay start would leave one more listener behind on it
 * if closing did not remove them.
 */
export async function listen(pool: PgPoolLike, channel: string, onWake: () => void, onError: (error: unknown) => void): Promise<() => Promise<void>> {
  const client = await pool.connect();
  let closed = false;
  const onNotification = (n: { channel: string }) => {
    if (n.channel === channel) onWake();
  };
  const onClientError = (error: unknown) => {
    if (!closed) onError(error);
  };
  client.on('notification', onNotification);
  client.on('error', onClientError);
  try {
    await client.query(`LISTEN "${channel}"`);
  } catch (error) {
    closed = true;
    client.release(true);
    throw error;
  }
  return async () => {
    if (closed) return;
    closed = true;
    try {
      await client.query(`UNLISTEN "${channel}"`);
    } catch {
      // Destroyed, never reused: its (now silent) error listener stays, as pg may still report
      // the broken socket on it.
      client.removeListener?.('notification', onNotification);
      client.release(true);
      return;
    }
    client.removeListener?.('notification', onNotification);
    client.removeListener?.('error', onClientError);
    client.release();
  };
}
