import { monitorEventLoopDelay } from 'node:perf_hooks';

/** What a relay process hands back when it stops: the resource figures of the report. */
export interface ResourceReport {
  /** Connections still checked out of the relay's pool once the relay stopped (idle ones are fine). */
  checkedOut: number | null;
  rssStart: number;
  rssEnd: number;
  /** Longest event-loop delay seen, in ms. */
  loopDelayMaxMs: number;
}

interface PgPoolStats {
  totalCount: number;
  idleCount: number;
}
interface MysqlPoolInternals {
  pool?: { _allConnections?: { length: number }; _freeConnections?: { length: number } };
}

/** Connections a pool has handed out and not had back: pg's counters, mysql2's (internal) lists. */
export function checkedOutOf(pool: unknown): number | null {
  const pg = pool as Partial<PgPoolStats>;
  if (typeof pg.totalCount === 'number' && typeof pg.idleCount === 'number') return pg.totalCount - pg.idleCount;
  const inner = (pool as MysqlPoolInternals).pool;
  const all = inner?._allConnections?.length;
  const free = inner?._freeConnections?.length;
  return typeof all === 'number' && typeof free === 'number' ? all - free : null;
}

/** Starts measuring at once; `report()` reads the figures (call it after the relay stopped, before the pool closes). */
export function watchResources(pool: unknown) {
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const rssStart = process.memoryUsage().rss;
  return {
    report(): ResourceReport {
      loop.disable();
      return { checkedOut: pool === undefined ? 0 : checkedOutOf(pool), rssStart, rssEnd: process.memoryUsage().rss, loopDelayMaxMs: Math.round(loop.max / 1e6) };
    },
  };
}
