import { execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { freePort } from './ports.js';
import { ownDatabase, type OwnDatabase } from './own-database.js';
import { serverUser } from './users.js';

const SERVER = process.env.TXBOX_MARIADBD ?? '/usr/sbin/mariadbd';
const INSTALL = process.env.TXBOX_MARIADB_INSTALL_DB ?? 'mariadb-install-db';

/** The harness's own MariaDB (see OwnDatabase). */
export type OwnMariadb = OwnDatabase;

/** `durable`: InnoDB's defaults (the redo log flushed at every commit); otherwise it reaches the OS at commit, flushed once a second. */
export async function ownMariadb(o: { durable?: boolean } = {}): Promise<OwnMariadb> {
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
    ...(o.durable ? [] : ['--innodb-flush-log-at-trx-commit=2']),
  ];
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

  return ownDatabase({ name: o.durable ? 'MariaDB (durable)' : 'MariaDB', port, url, dir, command: SERVER, args, fastStop: 'SIGTERM', ready, ...asUser });
}
