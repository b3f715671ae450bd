import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliOptions } from '../cli.js';
import { progress } from '../log.js';
import type { ScenarioContext } from '../scenarios/types.js';
import { ownMariadb, type OwnMariadb } from './mariadb.js';
import { ownPostgres, type OwnPostgres } from './postgres.js';

/** The servers of one harness run, started on first use and all stopped by `dispose()`. */
export function createServers() {
  const root = mkdtempSync(join(tmpdir(), 'txbox-faults-'));
  const started: Promise<OwnPostgres | OwnMariadb>[] = [];
  /** Starts the server on first use; later calls give it back running (a scenario may have left it stopped or frozen). */
  const lazily = <S extends OwnPostgres | OwnMariadb>(name: string, create: () => Promise<S>) => {
    let server: Promise<S> | undefined;
    return async (): Promise<S> => {
      if (!server) {
        server = (async () => {
          const s = await create();
          await s.start();
          progress(`own ${name} on 127.0.0.1:${s.port}`);
          return s;
        })();
        started.push(server);
      }
      const s = await server;
      s.thaw();
      if (!s.running) await s.start();
      return s;
    };
  };
  const postgres = lazily('PostgreSQL', () => ownPostgres());
  const mariadb = lazily('MariaDB', () => ownMariadb());
  const durablePostgres = lazily('PostgreSQL (fsync on)', () => ownPostgres({ durable: true }));
  const durableMariadb = lazily('MariaDB (durable defaults)', () => ownMariadb({ durable: true }));
  let dirs = 0;
  return {
    context(cli: CliOptions): ScenarioContext {
      return {
        tier: cli.tier,
        stores: cli.stores,
        brokers: cli.brokers,
        scale: cli.scale,
        postgres,
        mariadb,
        durablePostgres,
        durableMariadb,
        dir: (label) => join(root, `${label}-${dirs++}`),
      };
    },
    async dispose() {
      for (const s of started) await (await s.catch(() => undefined))?.dispose();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
