/**
 * One instance of a service running txbox's in-process consumers with cron schedules. Services
 * have outboxes and inboxes of their own and share one schedules table. As applications do, an
 * instance declares its version's schedules when it starts (set, and remove the ones its version
 * dropped), then runs until SIGTERM. Every handled tick is an effect in the handler's transaction:
 * one row per (consumer, schedule, tick) whose counter above 1 is a tick handled twice.
 */
import type Database from 'better-sqlite3';
import type pg from 'pg';
import { createConsumers, defineConsumer, SCHEDULE_HEADER, SCHEDULED_FOR_HEADER, type ConsumeContext } from '../../src/consumers/index.js';
import type { RelayEvent } from '../../src/core/index.js';
import { createPostgresInbox, createPostgresSchedules, createPostgresStore } from '../../src/stores/postgres/index.js';
import { createSqliteInbox, createSqliteSchedules, createSqliteStore } from '../../src/stores/sqlite/index.js';
import { errorText } from '../util.js';
import { parseConfig, type ServiceConfig } from './config.js';
import { emit } from './protocol.js';
import { openPgPool, openSqlite } from './targets.js';
import { serviceTables } from './service-tables.js';

const cfg = parseConfig<ServiceConfig>();
const t = serviceTables(cfg.target.prefix, cfg.service);
const onEvent = (e: RelayEvent) => {
  if (e.type === 'schedule.fired') emit({ ev: 'fired', name: e.name, scheduledFor: e.scheduledFor.getTime() });
  if (e.type === 'schedule.failed') emit({ ev: 'schedule.failed', error: errorText(e.error) });
};
const tickOf = (ctx: ConsumeContext<unknown, unknown>) => ({ schedule: ctx.message.headers[SCHEDULE_HEADER] ?? '?', at: Date.parse(ctx.message.headers[SCHEDULED_FOR_HEADER] ?? '') });
/** The first attempt of a flaky consumer fails: its tick comes back after the backoff, once. */
const failFirst = (flaky: boolean, ctx: ConsumeContext<unknown, unknown>) => {
  if (flaky && ctx.attempt === 1) throw new Error('flaky consumer: first attempt fails');
};
const common = { timeoutMs: cfg.handlerTimeoutMs, maxAttempts: 5, backoff: { type: 'fixed' as const, initialMs: 200 } };

let stop: () => Promise<void>;
if (cfg.target.kind === 'sqlite') {
  const db = openSqlite(cfg.target.file!);
  const record = db.prepare(`INSERT INTO "${t.ticks}" (consumer, schedule, scheduled_for, n, at_ms, by) VALUES (?, ?, ?, 1, ?, ?) ON CONFLICT (consumer, schedule, scheduled_for) DO UPDATE SET n = n + 1`);
  const consumers = cfg.consumers.map((c) =>
    defineConsumer<Database.Database, unknown>({
      name: c.name,
      topics: c.topics,
      ...common,
      handle: (ctx) => {
        failFirst(c.flaky === true, ctx);
        const tick = tickOf(ctx);
        record.run(c.name, tick.schedule, tick.at, Date.now(), cfg.name);
      },
    }),
  );
  const bus = createConsumers({
    store: createSqliteStore({ db, table: t.outbox, claimTimeoutMs: cfg.target.claimTimeoutMs }),
    inbox: createSqliteInbox({ db, table: t.inbox }),
    schedules: createSqliteSchedules({ db, table: t.schedules }),
    consumers,
    pollIntervalMs: cfg.pollIntervalMs,
    scheduleIntervalMs: cfg.scheduleIntervalMs,
    onEvent,
    logger: false,
  });
  await declare(bus.schedules);
  bus.start();
  stop = async () => {
    await bus.stop();
    db.close();
  };
} else {
  const pool = openPgPool(cfg.target, 8);
  const record = `INSERT INTO "${t.ticks}" (consumer, schedule, scheduled_for, n, at_ms, by) VALUES ($1, $2, $3, 1, $4, $5) ON CONFLICT (consumer, schedule, scheduled_for) DO UPDATE SET n = "${t.ticks}".n + 1`;
  const consumers = cfg.consumers.map((c) =>
    defineConsumer<pg.PoolClient, unknown>({
      name: c.name,
      topics: c.topics,
      ...common,
      handle: async (ctx) => {
        failFirst(c.flaky === true, ctx);
        const tick = tickOf(ctx);
        await ctx.tx.query(record, [c.name, tick.schedule, tick.at, Date.now(), cfg.name]);
      },
    }),
  );
  const claimMode = cfg.target.kind === 'postgres-lock' ? 'lock' : 'lease';
  const bus = createConsumers({
    store: createPostgresStore({ pool, table: t.outbox, claimMode, claimTimeoutMs: cfg.target.claimTimeoutMs, queryTimeoutMs: 5000 }),
    inbox: createPostgresInbox({ pool, table: t.inbox }),
    schedules: createPostgresSchedules({ pool, table: t.schedules }),
    consumers,
    pollIntervalMs: cfg.pollIntervalMs,
    scheduleIntervalMs: cfg.scheduleIntervalMs,
    onEvent,
    logger: false,
  });
  await declare(bus.schedules);
  bus.start();
  stop = async () => {
    await bus.stop();
    await pool.end();
  };
}

/** What a deploy of this version does at start: its schedules set (again), the dropped ones removed. */
async function declare(schedules: { set(d: ServiceConfig['schedules'][number]): Promise<void>; remove(name: string): Promise<boolean> }): Promise<void> {
  for (const s of cfg.schedules) {
    await schedules.set(s);
    emit({ ev: 'schedule.set', name: s.name });
  }
  for (const name of cfg.removes) {
    await schedules.remove(name);
    emit({ ev: 'schedule.removed', name });
  }
}

emit({ ev: 'ready' });
let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  void stop().finally(() => {
    emit({ ev: 'stopped' });
    process.exit(0);
  });
});
process.on('unhandledRejection', (error) => {
  emit({ ev: 'crash', error: errorText(error) });
  process.exit(70);
});
