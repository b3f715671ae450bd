import { notSent } from '../shared/failures.js';
import { requiredFunction } from '../shared/options.js';
import type { AmqpConnectionLike, ConfirmChannelLike } from './types.js';

interface Live {
  readonly connection: AmqpConnectionLike;
  readonly channel: ConfirmChannelLike;
}

/** Hands the producer a live confirm channel, opening a new connection after the last one died. */
export interface ConfirmChannelSource {
  (): Promise<ConfirmChannelLike>;
  /** Closes the current connection; later calls fail. */
  close(): Promise<void>;
}

/**
 * amqplib does not reconnect: once its connection drops, its channels are dead for good. This
 * source connects lazily with the function you give it (`() => amqplib.connect(url)`), keeps the
 * connection while it lives, and connects again on the next call after a close or an error. It
 * never retries in a loop: while the broker is down each call fails at once, and the relay's
 * backoff paces the next attempt.
 */
export function confirmChannelSource(connect: () => Promise<AmqpConnectionLike>): ConfirmChannelSource {
  requiredFunction('connect', connect);
  let current: Promise<Live> | undefined;
  let closed = false;

  const open = () => {
    const opening: Promise<Live> = (async () => {
      const connection = await connect();
      const drop = () => {
        if (current === opening) current = undefined;
      };
      // Errors also end in 'close'; a listener keeps amqplib's 'error' event from crashing the process.
      connection.on('error', () => {});
      connection.on('close', drop);
      try {
        const channel = await connection.createConfirmChannel();
        channel.on('error', () => {});
        channel.on('close', () => {
          drop();
          closeQuietly(connection);
        });
        return { connection, channel };
      } catch (error) {
        drop();
        closeQuietly(connection);
        throw error;
      }
    })();
    opening.catch(() => {
      if (current === opening) current = undefined;
    });
    return opening;
  };

  const source = (async () => {
    if (closed) throw notSent('rabbitmq', 'the channel source is closed');
    current ??= open();
    return (await current).channel;
  }) as ConfirmChannelSource;

  source.close = async () => {
    closed = true;
    const last = current;
    current = undefined;
    const opened = await last?.catch(() => undefined);
    if (opened) await closeQuietly(opened.connection);
  };
  return source;
}

/** amqplib may throw synchronously on a connection that is already closed. */
function closeQuietly(connection: AmqpConnectionLike): Promise<void> {
  return Promise.resolve()
    .then(() => connection.close())
    .catch(() => {});
}
