import net from 'node:net';
import pg from 'pg';
import { PG_URL } from '../support/env.js';

/**
 * A TCP relay in front of the real PostgreSQL server that can be cut and restored: the database
 * becomes unreachable for the relay (connections dropped, new ones refused) as in an outage.
 */
export async function outageProxy(target = new URL(PG_URL)) {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = net.createServer((client) => {
        const upstream = net.connect(Number(target.port || 5432), target.hostname);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => {});
        }
        client.pipe(upstream).pipe(client);
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        port = (server!.address() as net.AddressInfo).port;
        resolve();
      });
    });
  await listen();
  return {
    get url() {
      const url = new URL(PG_URL);
      url.host = `127.0.0.1:${port}`;
      return url.toString();
    },
    /** Drops every connection and refuses new ones. */
    async cut() {
      const closed = new Promise<void>((resolve) => server!.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    },
    /** Listens again on the same port. */
    restore: listen,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => (server?.listening ? server.close(() => resolve()) : resolve()));
    },
  };
}

/** A pg pool whose dropped idle connections do not crash the test process. */
export function quietPool(connectionString: string, extra: pg.PoolConfig = {}): pg.Pool {
  const pool = new pg.Pool({ connectionString, max: 3, connectionTimeoutMillis: 2000, ...extra });
  pool.on('error', () => {});
  return pool;
}

/** Lines written to console.debug/info/warn/error while `fn` runs (and still shown, after it). */
export async function captureConsole<T>(fn: (lines: { level: string; text: string }[]) => Promise<T>): Promise<{ result: T; lines: { level: string; text: string }[] }> {
  const lines: { level: string; text: string }[] = [];
  const levels = ['debug', 'info', 'warn', 'error'] as const;
  const original = levels.map((l) => console[l]);
  levels.forEach((level) => (console[level] = (...args: unknown[]) => void lines.push({ level, text: args.map(String).join(' ') })));
  try {
    return { result: await fn(lines), lines };
  } finally {
    levels.forEach((level, i) => (console[level] = original[i]!));
  }
}

/** A logger shaped like pino's (`logger.warn(fields, message)`) that records what it is given. */
export function recordingLogger() {
  const records: { level: string; fields: Record<string, unknown>; message: string }[] = [];
  const at = (level: string) => (fields: Record<string, unknown>, message: string) => void records.push({ level, fields, message });
  return { records, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}
