import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SinkConfig } from '../processes/config.js';
import { waitAtMost } from '../util.js';
import { freePort, portOpen } from './ports.js';
import { spawnServer, type ServerProcess } from './spawned.js';

export type BrokerKind = 'rabbitmq' | 'nats' | 'redis' | 'mqtt';

const BIN = {
  rabbitmq: process.env.TXBOX_RABBITMQ_SERVER ?? '/usr/lib/rabbitmq/bin/rabbitmq-server',
  nats: process.env.TXBOX_NATS_SERVER ?? '/usr/sbin/nats-server',
  redis: process.env.TXBOX_REDIS_SERVER ?? 'redis-server',
  mqtt: process.env.TXBOX_MOSQUITTO ?? '/usr/sbin/mosquitto',
};

/**
 * A broker of the harness's own on a spare port with its data in a temp directory, durable enough
 * that an acknowledged message survives the stop the scenario uses: SIGKILL for RabbitMQ
 * (persistent messages, confirms), NATS (JetStream file store) and Redis (AOF fsynced on every
 * write); SIGTERM for Mosquitto, which saves its persistence file on a clean shutdown.
 */
export interface OwnBroker {
  readonly kind: BrokerKind;
  readonly port: number;
  readonly url: string;
  /** The signal that stops it without losing an acknowledged message. */
  readonly stopSignal: 'SIGKILL' | 'SIGTERM';
  start(): Promise<void>;
  stop(): Promise<void>;
  dispose(): Promise<void>;
}

interface Spec {
  cmd: string;
  args: string[];
  env?: Record<string, string>;
  url: string;
  stopSignal: 'SIGKILL' | 'SIGTERM';
  bootMs: number;
}

async function spec(kind: BrokerKind, port: number, dir: string): Promise<Spec> {
  if (kind === 'nats') return { cmd: BIN.nats, args: ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir], url: `nats://127.0.0.1:${port}`, stopSignal: 'SIGKILL', bootMs: 20_000 };
  if (kind === 'redis') {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir];
    return { cmd: BIN.redis, args, url: `redis://127.0.0.1:${port}`, stopSignal: 'SIGKILL', bootMs: 20_000 };
  }
  if (kind === 'mqtt') {
    const conf = join(dir, 'mosquitto.conf');
    writeFileSync(conf, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence true', `persistence_location ${dir}/`, 'max_queued_messages 0', ''].join('\n'));
    chmodSync(conf, 0o644);
    return { cmd: BIN.mqtt, args: ['-c', conf], url: `mqtt://127.0.0.1:${port}`, stopSignal: 'SIGTERM', bootMs: 20_000 };
  }
  const distPort = await freePort();
  writeFileSync(join(dir, 'enabled_plugins'), '[].\n');
  const env = {
    HOME: dir,
    RABBITMQ_NODENAME: `txboxfaults${port}@localhost`,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_CONFIG_FILE: join(dir, 'none'),
    RABBITMQ_PID_FILE: join(dir, 'pid'),
  };
  return { cmd: BIN.rabbitmq, args: [], env, url: `amqp://guest:guest@127.0.0.1:${port}`, stopSignal: 'SIGKILL', bootMs: 90_000 };
}

export async function ownBroker(kind: BrokerKind): Promise<OwnBroker> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), `txbox-faults-${kind}-`));
  // Mosquitto drops root privileges to its own user: it must be able to write here.
  chmodSync(dir, 0o777);
  const s = await spec(kind, port, dir);
  let server: ServerProcess | undefined;
  const own: OwnBroker = {
    kind,
    port,
    url: s.url,
    stopSignal: s.stopSignal,
    async start() {
      if (server) return;
      server = spawnServer(s.cmd, s.args, { cwd: dir, env: s.env ?? {}, logFile: join(dir, 'server.log') });
      if (!(await waitAtMost(() => portOpen(port), s.bootMs, 100))) {
        await own.stop();
        throw new Error(`${kind} did not start on port ${port}; see ${join(dir, 'server.log')}`);
      }
    },
    async stop() {
      const current = server;
      server = undefined;
      await current?.stop(s.stopSignal, 20_000);
    },
    async dispose() {
      const current = server;
      server = undefined;
      await current?.stop('SIGKILL', 10_000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return own;
}

/** The sink configuration of one world on a broker: names unique to the world. */
export function brokerSinkConfig(b: OwnBroker, prefix: string): SinkConfig {
  if (b.kind === 'rabbitmq') return { kind: 'rabbitmq', url: b.url, queue: prefix };
  if (b.kind === 'nats') return { kind: 'nats', url: b.url, stream: prefix, subject: `${prefix}.work` };
  if (b.kind === 'redis') return { kind: 'redis', url: b.url, stream: prefix };
  return { kind: 'mqtt', url: b.url, topic: `${prefix}/work` };
}
