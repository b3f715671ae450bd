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
  let postgres: Promise<OwnPostgres> | undefined;
  let mariadb: Promise<OwnMariadb> | undefined;
  let dirs = 0;
  return {
    context(cli: CliOptions): ScenarioContext {
      return {
        tier: cli.tier,
        stores: cli.stores,
        scale: cli.scale,
        postgres: async () => {
          postgres ??= (async () => {
            const pg = await ownPostgres();
            await pg.start();
            progress(`own PostgreSQL on 127.0.0.1:${pg.port}`);
            return pg;
          })();
          const pg = await postgres;
          // A scenario may have left it stopped or frozen: give the next one a running server.
          pg.thaw();
          if (!pg.running) await pg.start();
          return pg;
        },
        mariadb: async () => {
          mariadb ??= (async () => {
            const m = await ownMariadb();
            await m.start();
            progress(`own MariaDB on 127.0.0.1:${m.port}`);
            return m;
          })();
          const m = await mariadb;
          m.thaw();
          if (!m.running) await m.start();
          return m;
        },
        dir: (label) => join(root, `${label}-${dirs++}`),
      };
    },
    async dispose() {
      if (postgres) await (await postgres.catch(() => undefined))?.dispose();
      if (mariadb) await (await mariadb.catch(() => undefined))?.dispose();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
