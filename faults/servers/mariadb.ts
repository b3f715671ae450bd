import { execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { waitAtMost } from '../util.js';
import { freePort } from './ports.js';
import { spawnServer, type ServerProcess } from './spawned.js';
import { serverUser } from './users.js';

const SERVER = process.env.TXBOX_MARIADBD ?? '/usr/sbin/mariadbd';
const INSTALL = process.env.TXBOX_MARIADB_INSTALL_DB ?? 'mariadb-install-db';

/** A MariaDB server of the harness's own, in a temp directory on a spare port (see OwnPostgres). */
export interface OwnMariadb {
  readonly port: number;
  url(port?: number): string;
  start(): Promise<void>;
  stop(mode: 'fast' | 'crash'): Promise<void>;
  freeze(): void;
  thaw(): void;
  readonly running: boolean;
  dispose(): Promise<void>;
}

export async function ownMariadb(): Promise<OwnMariadb> {
  const user = serverUser('mysql');
  const dir = mkdtempSync(join(tmpdir(), 'txbox-faults-mariadb-'));
  if (user) chownSync(dir, user.uid, user.gid);
  const asUser = user ? { uid: user.uid, gid: user.gid } : {};
  const data = join(dir, 'data');
  execFileSync(INSTALL, ['--no-defaults', `--datadir=${data}`, '--auth-root-authentication-method=normal', '--skip-test-db', '--skip-name-resolve'], { stdio: 'ignore', ...asUser });
  const port = await freePort();
  const url = (p = port) => `mysql://root@127.0.0.1:${p}/test`;
  const args = [
    '--no-defaults',
    `--datadir=${data}`,
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    `--socket=${join(dir, 'mysqld.sock')}`,
    `--pid-file=${join(dir, 'mysqld.pid')}`,
    '--skip-log-bin',
    '--skip-name-resolve',
    '--max-connections=300',
    '--innodb-buffer-pool-size=128M',
    // A committed transaction reaches the OS at once; the scenarios crash the server, never the machine.
    '--innodb-flush-log-at-trx-commit=2',
  ];
  let server: ServerProcess | undefined;
  let created = false;

  const ready = async () => {
    const c = await mysql.createConnection({ host: '127.0.0.1', port, user: 'root', connectTimeout: 1000 }).catch(() => undefined);
    if (!c) return false;
    try {
      if (!created) await c.query('CREATE DATABASE IF NOT EXISTS test');
      created = true;
      return true;
    } catch {
      return false;
    } finally {
      await c.end().catch(() => {});
    }
  };

  const own: OwnMariadb = {
    port,
    url,
    get running() {
      return server !== undefined;
    },
    async start() {
      if (server) return;
      server = spawnServer(SERVER, args, { cwd: dir, logFile: join(dir, 'server.log'), ...asUser });
      if (!(await waitAtMost(ready, 60_000, 100))) {
        await own.stop('crash');
        throw new Error(`MariaDB did not start on port ${port}; see ${join(dir, 'server.log')}`);
      }
    },
    async stop(mode) {
      const s = server;
      server = undefined;
      if (s) await s.stop(mode === 'fast' ? 'SIGTERM' : 'SIGKILL', 30_000);
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
