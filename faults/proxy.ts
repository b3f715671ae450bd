import net from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 that injects network faults between clients and one server: added
 * latency, a black hole (everything sent is dropped; connections that lived through it are reset
 * when it ends, as a stateful firewall or NAT would), and resets of every connection.
 */
export interface FaultProxy {
  readonly port: number;
  readonly connections: number;
  /** Delays every chunk, in both directions, by `ms` (order is kept). */
  setLatency(ms: number): void;
  blackhole(on: boolean): void;
  /** Sends RST on every open connection. */
  resetAll(): void;
  close(): Promise<void>;
}

interface Pair {
  client: net.Socket;
  upstream: net.Socket;
  holed: boolean;
}

export async function createProxy(targetPort: number): Promise<FaultProxy> {
  const pairs = new Set<Pair>();
  let latency = 0;
  let hole = false;

  const reset = (p: Pair) => {
    pairs.delete(p);
    p.client.resetAndDestroy();
    p.upstream.destroy();
  };

  /** Forwards `from` to `to` with the current faults; `due` keeps chunks in order under latency. */
  const forward = (p: Pair, from: net.Socket, to: net.Socket) => {
    let due = 0;
    from.on('data', (chunk) => {
      if (hole) {
        p.holed = true;
        return;
      }
      if (latency === 0 && due <= Date.now()) {
        to.write(chunk);
        return;
      }
      due = Math.max(due, Date.now() + latency);
      setTimeout(() => {
        if (!to.destroyed) to.write(chunk);
      }, due - Date.now());
    });
  };

  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    const p: Pair = { client, upstream, holed: hole };
    pairs.add(p);
    forward(p, client, upstream);
    forward(p, upstream, client);
    const close = () => {
      pairs.delete(p);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close);
    upstream.on('error', close);
    client.on('close', close);
    upstream.on('close', close);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    get connections() {
      return pairs.size;
    },
    setLatency: (ms) => (latency = ms),
    blackhole(on) {
      hole = on;
      if (!on) for (const p of [...pairs]) if (p.holed) reset(p);
    },
    resetAll: () => [...pairs].forEach(reset),
    async close() {
      [...pairs].forEach(reset);
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
