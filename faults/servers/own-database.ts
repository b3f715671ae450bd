import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { waitAtMost } from '../util.js';
import { spawnServer, type ServerProcess } from './spawned.js';

/**
 * A database server of the harness's own: a fresh data directory in a temp directory on a spare
 * port, which scenarios may crash, restart or freeze without touching anyone else's server.
 */
export interface OwnDatabase {
  readonly port: number;
  /** Connection URL of this server's test database (or through `port`, e.g. a proxy's). */
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

export interface OwnDatabaseSpec {
  /** Names the server in errors. */
  name: string;
  port: number;
  url(port?: number): string;
  /** The temp directory holding the data; its `server.log` gets the server's output; removed by dispose(). */
  dir: string;
  command: string;
  args: readonly string[];
  /** The signal of the server's clean shutdown. */
  fastStop: NodeJS.Signals;
  /** Resolves true once the server answers a query. */
  ready(): Promise<boolean>;
  uid?: number;
  gid?: number;
}

/** Starts, stops, freezes and removes a server described by `spec`; does not start it. */
export function ownDatabase(spec: OwnDatabaseSpec): OwnDatabase {
  const log = join(spec.dir, 'server.log');
  const user = spec.uid === undefined ? {} : { uid: spec.uid, gid: spec.gid };
  let server: ServerProcess | undefined;
  const own: OwnDatabase = {
    port: spec.port,
    url: spec.url,
    get running() {
      return server !== undefined;
    },
    async start() {
      if (server) return;
      server = spawnServer(spec.command, spec.args, { cwd: spec.dir, logFile: log, ...user });
      if (!(await waitAtMost(spec.ready, 60_000, 100))) {
        await own.stop('crash');
        throw new Error(`${spec.name} did not start on port ${spec.port}; see ${log}`);
      }
    },
    async stop(mode) {
      const s = server;
      server = undefined;
      if (s) await s.stop(mode === 'fast' ? spec.fastStop : 'SIGKILL', 30_000);
    },
    freeze: () => server?.signal('SIGSTOP'),
    thaw: () => server?.signal('SIGCONT'),
    async dispose() {
      await own.stop('crash');
      rmSync(spec.dir, { recursive: true, force: true });
    },
  };
  return own;
}
