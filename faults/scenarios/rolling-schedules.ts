import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import type pg from 'pg';
import { produceDeadlineMs } from '../../src/consumers/windows.js';
import { createPostgresInbox, createPostgresSchedules, createPostgresStore } from '../../src/stores/postgres/index.js';
import { createSqliteInbox, createSqliteSchedules, createSqliteStore } from '../../src/stores/sqlite/index.js';
import type { StoredSchedule } from '../../src/core/schedule-store.js';
import { stallBoundMs } from '../liveness.js';
import { progress } from '../log.js';
import type { ServiceConfig, TargetConfig } from '../processes/config.js';
import { startChild, type ChildHandle } from '../processes/handle.js';
import { serviceTables } from '../processes/service-tables.js';
import { openPgPool, openSqlite } from '../processes/targets.js';
import type { ScenarioRow } from '../report.js';
import { checkTicks, type Entitlement, type HandledTick, type ScheduleLife } from '../schedule-checker.js';
import { sleep, uniqueName, waitAtMost } from '../util.js';
import { isPostgres } from './common.js';
import { bySize, scaled, type Scenario, type ScenarioContext } from './types.js';

type Version = Pick<ServiceConfig, 'consumers' | 'schedules' | 'removes'>;

const every2 = '*/2 * * * * *';
const every3 = '*/3 * * * * *';
const sched = (name: string, cron = every2) => ({ name, cron, topic: name, key: name });
/**
 * Two services sharing one schedules table. A: two consumers of `report` (each tick goes to both),
 * `legacy` (its v2 removes the schedule, keeps the consumer) and, added in v2, `billing` with its
 * consumer. B: `digest` to two consumers, one of which v2 replaces by another, and `flaky`, whose
 * consumer fails every first attempt.
 */
const VERSIONS: Record<'a' | 'b', [Version, Version]> = {
  a: [
    { consumers: [{ name: 'a-report', topics: ['report'] }, { name: 'a-audit', topics: ['report'] }, { name: 'a-legacy', topics: ['legacy'] }], schedules: [sched('report'), sched('legacy', every3)], removes: [] },
    { consumers: [{ name: 'a-report', topics: ['report'] }, { name: 'a-audit', topics: ['report'] }, { name: 'a-legacy', topics: ['legacy'] }, { name: 'a-billing', topics: ['billing'] }], schedules: [sched('report'), sched('billing', every3)], removes: ['legacy'] },
  ],
  b: [
    { consumers: [{ name: 'b-digest', topics: ['digest'] }, { name: 'b-extra', topics: ['digest'] }, { name: 'b-flaky', topics: ['flaky'], flaky: true }], schedules: [sched('digest'), sched('flaky')], removes: [] },
    { consumers: [{ name: 'b-digest', topics: ['digest'] }, { name: 'b-digest2', topics: ['digest'] }, { name: 'b-flaky', topics: ['flaky'], flaky: true }], schedules: [sched('digest'), sched('flaky')], removes: [] },
  ],
};

const SETTINGS = { claimTimeoutMs: 3000, pollIntervalMs: 100, scheduleIntervalMs: 1000, handlerTimeoutMs: 1000 };

/**
 * Cron schedules shared by two services with different consumers, across rolling restarts: each
 * service runs two instances; each is replaced in turn by the next version (SIGTERM, or SIGKILL
 * for one of B's: a crash mid-deploy), which adds a consumer, removes one, adds a schedule and
 * removes another. Every instance declares its schedules when it starts, as applications do. A
 * schedule of a topic nobody serves any more and one whose payload cannot be read are due all
 * along. Every tick must reach each of its consumers once, in order, not early and within the
 * bound; a removed schedule stops, an added one starts, and the stale and broken ones block nothing.
 */
export const rollingSchedules: Scenario = {
  name: 'schedules across rolling restarts',
  summary: 'Two services with different consumers share one schedules table; both are rolled to a version that adds and removes consumers and schedules (one instance SIGKILLed).',
  tiers: ['full'],
  async run(ctx) {
    const kinds = ctx.stores.filter((k): k is 'postgres-lock' | 'postgres-lease' | 'sqlite' => isPostgres(k) || k === 'sqlite');
    const rows: ScenarioRow[] = [];
    for (const kind of kinds) rows.push(await rolling(ctx, kind));
    return rows;
  },
};

interface Instance {
  service: 'a' | 'b';
  version: 0 | 1;
  spawnedAt: number;
  handle: ChildHandle;
}

async function rolling(ctx: ScenarioContext, kind: 'postgres-lock' | 'postgres-lease' | 'sqlite'): Promise<ScenarioRow> {
  const started = Date.now();
  const prefix = uniqueName('s');
  const dir = ctx.dir(`schedules-${kind}`);
  mkdirSync(dir, { recursive: true });
  const target: TargetConfig = kind === 'sqlite' ? { kind, prefix, file: join(dir, `${prefix}.db`), claimTimeoutMs: SETTINGS.claimTimeoutMs } : { kind, prefix, url: (await ctx.postgres()).url(), claimTimeoutMs: SETTINGS.claimTimeoutMs };
  const db = await openDb(target);
  const instances: Instance[] = [];
  const start = (service: 'a' | 'b', version: 0 | 1, n: number) => {
    const cfg: ServiceConfig = { name: `${service}${n}.v${version + 1}`, service, target, ...VERSIONS[service][version], ...SETTINGS };
    const inst = { service, version, spawnedAt: Date.now(), handle: startChild('service', `sched-${kind}-${cfg.name}`, cfg) };
    instances.push(inst);
    return inst;
  };
  const ready = async (i: Instance) => {
    if (!(await i.handle.waitFor((e) => e.ev === 'ready', 60_000))) throw new Error(`${i.handle.name} did not start`);
  };
  try {
    await db.setup();
    for (const service of ['a', 'b'] as const) for (const n of [1, 2]) start(service, 0, n);
    for (const i of instances) await ready(i);
    await db.seedStuck();
    const runMs = scaled(ctx, bySize(ctx, 4, 8)) * 1000;
    await sleep(runMs);
    // Rolling restarts, one instance at a time; the other instance of the service stays up.
    const rolled: ('a' | 'b')[] = [];
    for (const service of ['a', 'b'] as const) {
      for (const n of [1, 2]) {
        const old = instances.find((i) => i.service === service && i.version === 0 && i.handle.name.endsWith(`${service}${n}.v1`))!;
        old.handle.kill(service === 'b' && n === 1 ? 'SIGKILL' : 'SIGTERM');
        await old.handle.exited;
        rolled.push(service);
        await ready(start(service, 1, n));
        progress(`${service}${n} rolled to v2${service === 'b' && n === 1 ? ' (the old one SIGKILLed)' : ''}`);
        await sleep(3000);
      }
    }
    await sleep(runMs);
    const bound = SETTINGS.scheduleIntervalMs + stallBoundMs({ kind, claimTimeoutMs: SETTINGS.claimTimeoutMs, pollIntervalMs: SETTINGS.pollIntervalMs, produceTimeoutMs: produceDeadlineMs(SETTINGS.handlerTimeoutMs, SETTINGS.claimTimeoutMs) });
    const endAt = Date.now();
    // The last owed ticks get the whole bound to be handled before the instances stop.
    await sleep(bound + 1000);
    await Promise.all(instances.map((i) => i.handle.stop(15_000)));

    const lives = scheduleLives(instances);
    const owed = entitlements(instances, lives, endAt - bound);
    const handled = await db.ticks();
    const f = checkTicks(lives, owed, handled);
    const stuck = await db.pendingOwed(owed, lives);
    const failedFires = instances.reduce((n, i) => n + i.handle.events.filter((e) => e.ev === 'schedule.failed').length, 0);
    const notes = [
      ...f.examples,
      `${f.owed} ticks owed to consumers (${lives.length} schedules), ${f.handled} handled; ${f.timed} timed, latest ${f.lateMs} ms after its tick`,
      `the broken schedule failed to fire ${failedFires} times, alone; the stale one (no consumer left) never fired`,
      `rolled: ${rolled.join(', ')} (one B instance SIGKILLed); ${stuck.leftForRemoved} messages left for the consumer v2 removed`,
    ];
    const row: ScenarioRow = {
      name: `schedules across rolling restarts/${kind}`,
      scenario: 'schedules across rolling restarts',
      store: kind,
      trials: rolled.length,
      committed: f.owed,
      delivered: f.handled,
      dead_letters: await db.dead(),
      lost: f.missed,
      phantom: f.phantom,
      stuck: stuck.owed,
      sink_duplicates: 0,
      effect_duplicates: f.doubled,
      order_violations: f.disorder,
      early_deliveries: f.early,
      stall_ms: f.lateMs,
      stall_bound_ms: bound,
      checked_out: null,
      rss_growth_mb: null,
      loop_delay_ms: null,
      detect_ms: null,
      recover_ms: null,
      duration_ms: Date.now() - started,
      notes,
    };
    progress(`${row.name}: owed ${f.owed}, handled ${f.handled}, missed ${f.missed}, phantom ${f.phantom}, doubled ${f.doubled}, early ${f.early}, disorder ${f.disorder}, stuck ${stuck.owed}, late ${f.lateMs} ms (bound ${bound})`);
    return row;
  } finally {
    await Promise.all(instances.map((i) => i.handle.stop(10_000)));
    await db.close(process.env.TXBOX_FAULTS_KEEP === '1');
  }
}

/** When each schedule was first set and first removed, as the instances reported. */
function scheduleLives(instances: readonly Instance[]): ScheduleLife[] {
  const lives = new Map<string, ScheduleLife>();
  const crons = new Map(Object.values(VERSIONS).flatMap((vs) => vs.flatMap((v) => v.schedules.map((s) => [s.name, s.cron] as const))));
  for (const e of instances.flatMap((i) => i.handle.events).sort((x, y) => x.at - y.at)) {
    const name = String(e.name);
    if (e.ev === 'schedule.set' && !lives.has(name)) lives.set(name, { name, cron: crons.get(name)!, setAt: e.at });
    if (e.ev === 'schedule.removed' && lives.has(name) && lives.get(name)!.removedAt === undefined) lives.get(name)!.removedAt = e.at;
  }
  return [...lives.values()];
}

/**
 * The ticks each consumer is owed. A consumer of both versions: every tick of its schedules while
 * they exist. One v2 added: once no v1 instance of its service was left (a v1 instance firing a
 * tick publishes it to v1's consumers). One v2 removed: until the first v2 instance started. A
 * tick is fired up to one check interval after its time, so a removed schedule owes nothing in its
 * last interval. While a service runs both versions, messages of the consumers only one version
 * has can be claimed by the other (retried 5 s later): those ticks are owed, not timed.
 */
function entitlements(instances: readonly Instance[], lives: readonly ScheduleLife[], until: number): Entitlement[] {
  const lag = SETTINGS.scheduleIntervalMs + 500;
  const out: Entitlement[] = [];
  for (const service of ['a', 'b'] as const) {
    const mine = instances.filter((i) => i.service === service);
    const v1 = mine.filter((i) => i.version === 0);
    const v2 = mine.filter((i) => i.version === 1);
    const firstV2 = Math.min(...v2.map((i) => i.spawnedAt));
    const lastV1 = Math.max(...v1.map((i) => i.handle.exitedAt ?? Infinity));
    const mixed = { from: firstV2 - lag, to: lastV1 + SETTINGS.claimTimeoutMs + 5000 };
    const [old, next] = VERSIONS[service];
    const names = new Set([...old.consumers, ...next.consumers].map((c) => c.name));
    for (const name of names) {
      const inOld = old.consumers.find((c) => c.name === name);
      const inNext = next.consumers.find((c) => c.name === name);
      const c = (inOld ?? inNext)!;
      const from = inOld ? -Infinity : lastV1;
      const to = inNext ? until : firstV2 - lag;
      const untimed = inOld && inNext ? [] : [mixed];
      for (const life of lives.filter((l) => c.topics.includes(l.name))) {
        const end = Math.min(to, life.removedAt === undefined ? Infinity : life.removedAt - lag);
        out.push({ consumer: name, schedule: life.name, from: Math.max(from, life.setAt), to: end, untimed, flaky: c.flaky === true });
      }
    }
  }
  return out;
}

interface Db {
  setup(): Promise<void>;
  /** A schedule of a topic no consumer serves any more, and one whose stored payload cannot be read: both due. */
  seedStuck(): Promise<void>;
  ticks(): Promise<HandledTick[]>;
  dead(): Promise<number>;
  pendingOwed(owed: readonly Entitlement[], lives: readonly ScheduleLife[]): Promise<{ owed: number; leftForRemoved: number }>;
  close(keep: boolean): Promise<void>;
}

const ticksDdl = (table: string, int: string) => `CREATE TABLE "${table}" (consumer TEXT NOT NULL, schedule TEXT NOT NULL, scheduled_for ${int} NOT NULL, n INTEGER NOT NULL, at_ms ${int} NOT NULL, by TEXT NOT NULL, PRIMARY KEY (consumer, schedule, scheduled_for))`;

const stuckSchedules = (): StoredSchedule[] => {
  const past = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
  return [
    { name: 'stale', cron: every2, timezone: null, topic: 'gone', payload: 'null', key: null, nextRunAt: past },
    { name: 'broken', cron: every2, timezone: null, topic: 'report', payload: '{', key: null, nextRunAt: past },
  ];
};

interface PendingRow {
  headers: string | null;
}

function pendingFigures(rows: readonly PendingRow[], owed: readonly Entitlement[], removed: ReadonlySet<string>) {
  let owedCount = 0;
  let leftForRemoved = 0;
  for (const r of rows) {
    const h = JSON.parse(r.headers ?? '{}') as Record<string, string>;
    const at = Date.parse(h['txbox-scheduled-for'] ?? '');
    const consumer = h['txbox-consumer'] ?? '';
    if (removed.has(consumer)) leftForRemoved++;
    else if (owed.some((e) => e.consumer === consumer && e.schedule === h['txbox-schedule'] && at > e.from && at <= e.to)) owedCount++;
  }
  return { owed: owedCount, leftForRemoved };
}

const REMOVED_CONSUMERS = new Set(Object.values(VERSIONS).flatMap(([v1, v2]) => v1.consumers.filter((c) => !v2.consumers.some((d) => d.name === c.name)).map((c) => c.name)));

async function openDb(target: TargetConfig): Promise<Db> {
  const t = (s: string) => serviceTables(target.prefix, s);
  if (target.kind === 'sqlite') {
    const db: Database.Database = openSqlite(target.file!);
    const schedules = createSqliteSchedules({ db, table: t('a').schedules });
    return {
      async setup() {
        db.exec(ticksDdl(t('a').ticks, 'INTEGER'));
        await schedules.migrate();
        for (const s of ['a', 'b']) {
          await createSqliteStore({ db, table: t(s).outbox }).migrate();
          await createSqliteInbox({ db, table: t(s).inbox }).migrate();
        }
      },
      async seedStuck() {
        for (const s of stuckSchedules()) db.transaction(() => schedules.saveSync!(db, s)).immediate();
      },
      ticks: async () => (db.prepare(`SELECT consumer, schedule, scheduled_for AS scheduledFor, n, at_ms AS at FROM "${t('a').ticks}"`).all() as HandledTick[]).map(numeric),
      dead: async () => ['a', 'b'].reduce((n, s) => n + Number((db.prepare(`SELECT count(*) AS n FROM "${t(s).outbox}" WHERE dead_at IS NOT NULL`).get() as { n: number }).n), 0),
      async pendingOwed(owed) {
        const rows = ['a', 'b'].flatMap((s) => db.prepare(`SELECT headers FROM "${t(s).outbox}" WHERE processed_at IS NULL AND dead_at IS NULL`).all() as PendingRow[]);
        return pendingFigures(rows, owed, REMOVED_CONSUMERS);
      },
      close: async () => void db.close(),
    };
  }
  const pool: pg.Pool = openPgPool(target, 4);
  const schedules = createPostgresSchedules({ pool, table: t('a').schedules });
  const tables = ['a', 'b'].flatMap((s) => [t(s).outbox, t(s).inbox]).concat(t('a').schedules, t('a').ticks);
  return {
    async setup() {
      await pool.query(ticksDdl(t('a').ticks, 'BIGINT'));
      await schedules.migrate();
      for (const s of ['a', 'b']) {
        await createPostgresStore({ pool, table: t(s).outbox }).migrate();
        await createPostgresInbox({ pool, table: t(s).inbox }).migrate();
      }
    },
    async seedStuck() {
      const client = await pool.connect();
      try {
        for (const s of stuckSchedules()) await schedules.save(client, s);
      } finally {
        client.release();
      }
    },
    ticks: async () => (await pool.query(`SELECT consumer, schedule, scheduled_for AS "scheduledFor", n, at_ms AS at FROM "${t('a').ticks}"`)).rows.map(numeric),
    async dead() {
      let n = 0;
      for (const s of ['a', 'b']) n += Number((await pool.query(`SELECT count(*) AS n FROM "${t(s).outbox}" WHERE dead_at IS NOT NULL`)).rows[0].n);
      return n;
    },
    async pendingOwed(owed) {
      const rows: PendingRow[] = [];
      for (const s of ['a', 'b']) rows.push(...(await pool.query(`SELECT headers FROM "${t(s).outbox}" WHERE processed_at IS NULL AND dead_at IS NULL`)).rows);
      return pendingFigures(rows, owed, REMOVED_CONSUMERS);
    },
    async close(keep) {
      if (!keep) await pool.query(`DROP TABLE IF EXISTS ${tables.map((n) => `"${n}"`).join(', ')}`).catch(() => {});
      await pool.end();
    },
  };
}

const numeric = (r: HandledTick): HandledTick => ({ consumer: r.consumer, schedule: r.schedule, scheduledFor: Number(r.scheduledFor), n: Number(r.n), at: Number(r.at) });

