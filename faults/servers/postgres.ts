import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './ports.js';
import { ownDatabase, type OwnDatabase } from './own-database.js';
import { serverUser } from './users.js';

const BIN = process.env.TXBOX_PG_BIN ?? '/usr/lib/postgresql/15/bin';

/** The harness's own PostgreSQL (see OwnDatabase). */
export type OwnPostgres = OwnDatabase;

/**
 * `durable`: settings as in production (fsync, full page writes, synchronous commit on), for crash
 * recovery with durability; otherwise fsync is off, which every process crash survives (the page
 * cache does) but a machine crash would not.
 */
export async function ownPostgres(o: { durable?: boolean } = {}): Promise<OwnPostgres> {
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
  execFileSync(join(BIN, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', ...(o.durable ? [] : ['--no-sync']), '-E', 'UTF8'], { stdio: 'ignore', ...asUser });
  const port = await freePort();
  const url = (p = port) => `postgres://postgres@127.0.0.1:${p}/postgres`;
  const settings = {
    listen_addresses: '127.0.0.1',
    port: String(port),
    unix_socket_directories: socket,
    max_connections: '300',
    shared_buffers: '128MB',
    // The scenarios crash server processes, never the machine: the page cache survives them.
    ...(o.durable ? { fsync: 'on', full_page_writes: 'on', synchronous_commit: 'on' } : { fsync: 'off', full_page_writes: 'off' }),
    logging_collector: 'off',
  };
  const args = ['-D', data, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];

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

  // SIGINT is PostgreSQL's fast shutdown: active transactions roll back, the cluster is clean.
  return ownDatabase({ name: o.durable ? 'PostgreSQL (durable)' : 'PostgreSQL', port, url, dir, command: join(BIN, 'postgres'), args, fastStop: 'SIGINT', ready, ...asUser });
}
