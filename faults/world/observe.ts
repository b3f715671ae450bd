import { existsSync, readFileSync } from 'node:fs';
import type Database from 'better-sqlite3';
import type { Committed, HistoryEntry, Observations } from '../checker.js';
import { isMysql, tables, type Receipt } from '../processes/config.js';
import type { World } from './world.js';

const lines = <T>(path: string): T[] =>
  existsSync(path)
    ? readFileSync(path, 'utf8')
        .split('\n')
        .filter((l) => l.length > 0)
        .map((l) => JSON.parse(l) as T)
    : [];

interface DeadRow {
  id: string;
  at: number | string;
}

interface BizRow {
  id: string;
  key: string;
  version: number | string;
  delay_ms: number | string;
  sent_at_ms: number | string;
  poison: boolean | number;
}

const toCommitted = (r: BizRow): Committed => ({
  id: String(r.id),
  key: r.key,
  version: Number(r.version),
  delayMs: Number(r.delay_ms),
  sentAtMs: Number(r.sent_at_ms),
  poison: r.poison === true || r.poison === 1,
});

/** Reads the end state: business rows, outbox rows left, deliveries, effects and write histories. */
export async function readObservations(w: World, histories: readonly string[], effectsDb: Database.Database | undefined): Promise<Observations> {
  const t = tables(w.prefix);
  const biz = `SELECT id, key, version, delay_ms, sent_at_ms, poison FROM `;
  let committed: Committed[];
  let dead: string[];
  let deadAt: Map<string, number>;
  let effects: Map<string, number> | undefined;
  if (w.kind === 'sqlite' || isMysql(w.kind)) {
    if (w.kind === 'sqlite') {
      committed = (w.sqlite.prepare(`${biz}"${t.biz}"`).all() as BizRow[]).map(toCommitted);
      const rows = w.sqlite.prepare(`SELECT id, dead_at AS at FROM "${t.outbox}" WHERE dead_at IS NOT NULL`).all() as DeadRow[];
      dead = rows.map((r) => r.id);
      deadAt = new Map(rows.map((r) => [r.id, Number(r.at)]));
    } else {
      const [rows] = await w.mysql.query(`SELECT id, \`key\`, version, delay_ms, sent_at_ms, poison FROM \`${t.biz}\``);
      committed = (rows as BizRow[]).map(toCommitted);
      const [deadRows] = await w.mysql.query(`SELECT id, FLOOR(UNIX_TIMESTAMP(CONVERT_TZ(dead_at, '+00:00', @@session.time_zone)) * 1000) AS at FROM \`${t.outbox}\` WHERE dead_at IS NOT NULL`);
      dead = (deadRows as DeadRow[]).map((r) => r.id);
      deadAt = new Map((deadRows as DeadRow[]).map((r) => [r.id, Number(r.at)]));
    }
    const eff = effectsDb?.prepare(`SELECT id, n FROM "${t.eff}"`).all() as { id: string; n: number }[] | undefined;
    effects = w.consumer && eff ? new Map(eff.map((r) => [r.id, Number(r.n)])) : undefined;
  } else {
    committed = (await w.pool.query(`${biz}"${t.biz}"`)).rows.map(toCommitted);
    const rows = (await w.pool.query(`SELECT id::text AS id, floor(extract(epoch FROM dead_at) * 1000) AS at FROM "${t.outbox}" WHERE dead_at IS NOT NULL`)).rows as DeadRow[];
    dead = rows.map((r) => r.id);
    deadAt = new Map(rows.map((r) => [r.id, Number(r.at)]));
    const eff = (await w.pool.query(`SELECT id, n FROM "${t.eff}"`)).rows as { id: string; n: number }[];
    effects = w.consumer ? new Map(eff.map((r) => [r.id, Number(r.n)])) : undefined;
  }
  const deliveries = w.sink.kind === 'file' ? lines<Receipt>(w.sink.path) : lines<Receipt>(`${w.o.dir}/${w.prefix}.received`);
  const published = w.sink.kind === 'file' ? deliveries : lines<Receipt>(w.publishedLog);
  return {
    committed,
    history: histories.flatMap((h) => lines<HistoryEntry>(h)),
    deliveries,
    published,
    effects,
    pending: await w.pendingIds(),
    dead,
    deadAt,
    handmade: w.handmade,
  };
}
