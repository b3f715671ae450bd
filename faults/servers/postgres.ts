import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { waitAtMost } from '../util.js';
import { freePort } from './ports.js';
import { spawnServer, type ServerProcess } from './spawned.js';
import { serverUser } from './users.js';

const BIN = process.env.TXBOX_PG_BIN ?? '/usr/lib/postgresql/15/bin';

/**
 * A PostgreSQL server of the harness's own: a fresh cluster in a temp directory on a spare port,
 * which scenarios may crash, restart or freeze without touching anyone else's server.
 */
export interface OwnPostgres {
  readonly port: number;
  /** Connection URL of database `postgres` on this server (or through `port`, e.g. a proxy's). */
  url(port?: number): string;
  start(): Promise<void>;
  /** `fast`: a clean shutdown; `crash`: SIGKILL to every server process (recovery runs at the next start). */
  stop(mode: 'fast' | 'crash'): Promise<void>;
  /** SIGSTOP / SIGCONT to every server process: connections stay open but nothing answers. */
  freeze(): void;
  thaw(): void;
  readonly running: boolean;
  dispose(): Promise<void>;
}

export async function ownPostgres(): Promise<OwnPostgres> {
  if (!existsSync(join(BIN, 'postgres'))) throw new Error(`PostgreSQL binaries not found in ${BIN} (set TXBOX_PG_BIN)`);
  const user = serverUser('postgres');
  const dir = mkdtempSync(join(tmpdir(), 'txbox-faults-pg-'));
  const data = join(dir, 'data');
  const socket = join(dir, 'socket');
  mkdirSync(socket);
  if (user) {
    chownSync(dir, user.uid, user.gid);
    chownSync(socket, user.uid, user.gid);
  }
  const asUser = user ? { uid: user.uid, gid: user.gid } : {};
  execFileSync(join(BIN, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8'], { stdio: 'ignore', ...asUser });
  const port = await freePort();
  const url = (p = port) => `postgres://postgres@127.0.0.1:${p}/postgres`;
  const settings = {
    listen_addresses: '127.0.0.1',
    port: String(port),
    unix_socket_directories: socket,
    max_connections: '300',
    shared_buffers: '128MB',
    // The scenarios crash server processes, never the machine: the page cache survives them.
    fsync: 'off',
    full_page_writes: 'off',
    logging_collector: 'off',
  };
  const args = ['-D', data, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
  let server: ServerProcess | undefined;

  const ready = async () => {
    const client = new pg.Client({ connectionString: url(), connectionTimeoutMillis: 1000 });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => {});
    }
  };

  const own: OwnPostgres = {
    port,
    url,
    get running() {
      return server !== undefined;
    },
    async start() {
      if (server) return;
      server = spawnServer(join(BIN, 'postgres'), args, { cwd: dir, logFile: join(dir, 'server.log'), ...asUser });
      if (!(await waitAtMost(ready, 60_000, 100))) {
        await own.stop('crash');
        throw new Error(`PostgreSQL did not start on port ${port}; see ${join(dir, 'server.log')}`);
      }
    },
    async stop(mode) {
      const s = server;
      server = undefined;
      // SIGINT is PostgreSQL's fast shutdown: active transactions roll back, the cluster is clean.
      if (s) await s.stop(mode === 'fast' ? 'SIGINT' : 'SIGKILL', 30_000);
    },
    freeze: () => server?.signal('SIGSTOP'),
    thaw: () => server?.signal('SIGCONT'),
    async dispose() {
      await own.stop('crash');
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return own;
}
