import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, sleep } from '../env.js';

/** A broker process this test suite started: its own port and data directory, never a shared server. */
export interface OwnBroker {
  readonly port: number;
  readonly dir: string;
  start(): Promise<void>;
  /** SIGTERM lets the broker shut down cleanly; SIGKILL is a crash. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Stops it (if running) and removes its data directory. */
  dispose(): Promise<void>;
}

const running = new Set<ChildProcess>();
// Whatever happens to the test, no broker outlives the process.
process.on('exit', () => {
  for (const child of running) killGroup(child, 'SIGKILL');
});

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // Already gone.
  }
}

function groupAlive(child: ChildProcess): boolean {
  try {
    process.kill(-child.pid!, 0);
    return true;
  } catch {
    return false;
  }
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await sleep(50);
  }
}

function ownBroker(name: string, port: number, dir: string, command: () => { cmd: string; args: string[]; env?: Record<string, string> }, startTimeoutMs = 20_000): OwnBroker {
  let child: ChildProcess | undefined;
  const stop = async (signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM') => {
    const c = child;
    if (!c) return;
    child = undefined;
    killGroup(c, signal);
    try {
      await waitUntil(() => !groupAlive(c), 15_000, `${name} to exit`);
    } catch {
      killGroup(c, 'SIGKILL');
      await waitUntil(() => !groupAlive(c), 5_000, `${name} to die`);
    }
    running.delete(c);
  };
  return {
    port,
    dir,
    async start() {
      if (child) return;
      const { cmd, args, env } = command();
      // Own process group, so stopping reaches the whole tree (RabbitMQ's script starts the Erlang VM).
      const c = spawn(cmd, args, { cwd: dir, detached: true, stdio: 'ignore', env: { ...process.env, ...env } });
      child = c;
      running.add(c);
      try {
        await waitUntil(() => portOpen(port), startTimeoutMs, `${name} to listen on ${port}`);
      } catch (error) {
        await stop('SIGKILL');
        throw error;
      }
    },
    stop,
    async dispose() {
      await stop('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const tempDir = (name: string) => {
  const dir = mkdtempSync(join(tmpdir(), `txbox-${name}-`));
  // Mosquitto drops root privileges to its own user: it must be able to write here.
  chmodSync(dir, 0o777);
  return dir;
};

export async function ownNats(): Promise<OwnBroker> {
  const port = await freePort();
  const dir = tempDir('nats');
  return ownBroker('nats-server', port, dir, () => ({ cmd: BIN.nats, args: ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir] }));
}

/** Redis with an append-only file fsynced on every write: an acknowledged XADD survives a crash. */
export async function ownRedis(): Promise<OwnBroker> {
  const port = await freePort();
  const dir = tempDir('redis');
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir];
  return ownBroker('redis-server', port, dir, () => ({ cmd: BIN.redis, args }));
}

/** Mosquitto with persistence (saved on a clean shutdown) and an optional ACL file. */
export async function ownMosquitto(acl?: string): Promise<OwnBroker> {
  const port = await freePort();
  const dir = tempDir('mosquitto');
  const lines = [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence true', `persistence_location ${dir}/`];
  if (acl !== undefined) {
    writeFileSync(join(dir, 'acl'), acl);
    chmodSync(join(dir, 'acl'), 0o644);
    lines.push(`acl_file ${join(dir, 'acl')}`);
  }
  writeFileSync(join(dir, 'mosquitto.conf'), `${lines.join('\n')}\n`);
  chmodSync(join(dir, 'mosquitto.conf'), 0o644);
  return ownBroker('mosquitto', port, dir, () => ({ cmd: BIN.mosquitto, args: ['-c', join(dir, 'mosquitto.conf')] }));
}

/** A RabbitMQ node of its own (own node name, ports, database and logs): about 3 s to boot. */
export async function ownRabbitMq(): Promise<OwnBroker> {
  const port = await freePort();
  const distPort = await freePort();
  const dir = tempDir('rabbitmq');
  writeFileSync(join(dir, 'enabled_plugins'), '[].\n');
  const env = {
    HOME: dir,
    RABBITMQ_NODENAME: `txbox${port}@localhost`,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_CONFIG_FILE: join(dir, 'none'),
    RABBITMQ_PID_FILE: join(dir, 'pid'),
  };
  return ownBroker('rabbitmq-server', port, dir, () => ({ cmd: BIN.rabbitmq, args: [], env }), 60_000);
}
