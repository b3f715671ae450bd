import type { PgPoolLike } from './driver.js';

/**
 * LISTEN on a dedicated connection; each notification wakes the relay. Writers NOTIFY only when
 * the store's `notify` option is on, because NOTIFY serialises committing transactions.
 */
export async function listen(pool: PgPoolLike, channel: string, onWake: () => void, onError: (error: unknown) => void): Promise<() => Promise<void>> {
  const client = await pool.connect();
  let closed = false;
  client.on('notification', (n) => {
    if (n.channel === channel) onWake();
  });
  client.on('error', (error) => {
    if (!closed) onError(error);
  });
  try {
    await client.query(`LISTEN "${channel}"`);
  } catch (error) {
    client.release(true);
    throw error;
  }
  return async () => {
    if (closed) return;
    closed = true;
    try {
      await client.query(`UNLISTEN "${channel}"`);
      client.removeAllListeners?.('notification');
      client.release();
    } catch {
      client.release(true);
    }
  };
}
