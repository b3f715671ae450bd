import type { OutboxMessage, ProduceFn, ProduceResult, Producer } from 'txbox';

/**
 * A broker connection made on first use, shared while it lives, and made again on the next use
 * after an attempt failed or the connection died for good (`alive` says so): the daemon starts
 * while a broker is down (its /readyz says so), and the relay's backoff paces the attempts. The
 * client library itself reconnects a connection that was once made.
 */
export interface LazyConnection<T> {
  get(): Promise<T>;
  /** Ends the connection if one was made; later calls to `get` fail. */
  close(end: (connection: T) => Promise<unknown> | unknown): Promise<void>;
}

export function lazyConnection<T>(connect: () => Promise<T>, alive: (connection: T) => boolean = () => true): LazyConnection<T> {
  let current: Promise<T> | undefined;
  let made: T | undefined;
  let closed = false;
  return {
    get() {
      if (closed) return Promise.reject(new Error('the transport is closed'));
      if (made !== undefined && !alive(made)) {
        made = undefined;
        current = undefined;
      }
      return (current ??= connect().then(
        (connection) => (made = connection),
        (error: unknown) => {
          current = undefined;
          throw error;
        },
      ));
    },
    async close(end) {
      closed = true;
      const connection = await current?.catch(() => undefined);
      if (connection !== undefined) await end(connection);
    },
  };
}

/** The first message of each key (every unkeyed message is its own): what failed when nothing could be tried. */
function chainHeads(messages: readonly OutboxMessage[]): OutboxMessage[] {
  const seen = new Set<string>();
  const heads: OutboxMessage[] = [];
  for (const m of messages) {
    if (m.key !== null && seen.has(m.key)) continue;
    if (m.key !== null) seen.add(m.key);
    heads.push(m);
  }
  return heads;
}

/**
 * A producer on a lazy connection, made once per connection by `make`. While the connection
 * cannot be made, nothing was sent: each key's first message is reported `unavailable` (released
 * with no attempt counted, as the shipped producers report an outage) and its later ones wait.
 */
export function lazyProducer<T extends object>(connection: LazyConnection<T>, system: string, make: (connection: T) => Producer): ProduceFn {
  const producers = new WeakMap<T, ProduceFn>();
  return async (messages, context): Promise<ProduceResult | void> => {
    let c: T;
    try {
      c = await connection.get();
    } catch (cause) {
      const error = new Error(`${system}: cannot connect: ${(cause as Error)?.message ?? String(cause)}`, { cause });
      return { ok: [], failed: chainHeads(messages).map((m) => ({ id: m.id, error, unavailable: true })) };
    }
    let produce = producers.get(c);
    if (!produce) {
      const p = make(c);
      producers.set(c, (produce = typeof p === 'function' ? p : p.produce.bind(p)));
    }
    return produce(messages, context);
  };
}
