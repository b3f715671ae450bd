import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { sleep, waitAtMost } from '../util.js';

/**
 * A server process the harness started in its own process group, so signals reach the whole tree
 * (PostgreSQL's backends, RabbitMQ's Erlang VM). Every group still alive when the harness exits is
 * killed: no server outlives a run, even a failed one.
 */
export interface ServerProcess {
  readonly pid: number;
  /** Sends `signal` to the whole group. */
  signal(signal: NodeJS.Signals): void;
  alive(): boolean;
  /** Sends `signal`, waits up to `timeoutMs` for the group to exit, then SIGKILLs it. */
  stop(signal: NodeJS.Signals, timeoutMs: number): Promise<void>;
}

const groups = new Set<number>();
process.on('exit', () => {
  for (const pgid of groups) killGroup(pgid, 'SIGCONT');
  for (const pgid of groups) killGroup(pgid, 'SIGKILL');
});

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // Already gone.
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface SpawnServerOptions {
  cwd?: string;
  env?: Record<string, string>;
  /** Run as this user (the harness may run as root; PostgreSQL refuses to). */
  uid?: number;
  gid?: number;
  /** stdout and stderr go to this file. */
  logFile: string;
}

export function spawnServer(cmd: string, args: readonly string[], o: SpawnServerOptions): ServerProcess {
  const log = openSync(o.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(cmd, [...args], {
      cwd: o.cwd,
      env: { ...process.env, ...o.env },
      detached: true,
      stdio: ['ignore', log, log],
      ...(o.uid === undefined ? {} : { uid: o.uid }),
      ...(o.gid === undefined ? {} : { gid: o.gid }),
    });
  } finally {
    closeSync(log);
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${cmd}`);
  groups.add(pid);
  child.on('error', () => {});
  // Reap the leader so it does not linger as a zombie and keep the group "alive".
  child.on('exit', () => {});
  return {
    pid,
    signal: (signal) => killGroup(pid, signal),
    alive: () => groupAlive(pid),
    async stop(signal, timeoutMs) {
      killGroup(pid, 'SIGCONT');
      killGroup(pid, signal);
      if (!(await waitAtMost(() => !groupAlive(pid), timeoutMs, 20))) {
        killGroup(pid, 'SIGKILL');
        await waitAtMost(() => !groupAlive(pid), 5000, 20);
      }
      await sleep(20);
      groups.delete(pid);
    },
  };
}
