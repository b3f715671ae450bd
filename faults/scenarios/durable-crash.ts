import { isMysql } from '../processes/config.js';
import { withMysqlLock } from './blocked-heads.js';
import { restartOn } from './db-restart.js';
import type { Scenario } from './types.js';

/**
 * Crash recovery with durability as in production: the database restarted mid-batch scenario's
 * SIGKILL of every server process, on servers of their own that run PostgreSQL with fsync, full
 * page writes and synchronous commit on, and MariaDB with its defaults (the redo log flushed at
 * every commit). Every commit a writer saw succeed must be there after recovery, and the outbox
 * must agree with the business table exactly.
 */
export const durableCrash: Scenario = {
  name: 'durable database crashed',
  summary: 'The database SIGKILLed mid-batch (crash recovery at restart) with production durability: PostgreSQL fsync = on and synchronous_commit = on, MariaDB with its defaults.',
  tiers: ['full'],
  async run(ctx) {
    const rows = [];
    for (const kind of withMysqlLock(ctx.stores).filter((k) => k !== 'sqlite')) {
      const server = isMysql(kind) ? await ctx.durableMariadb() : await ctx.durablePostgres();
      rows.push(await restartOn(ctx, kind, 'crash', server, { scenario: 'durable database crashed', suffix: isMysql(kind) ? 'durable defaults' : 'fsync on' }));
    }
    return rows;
  },
};
