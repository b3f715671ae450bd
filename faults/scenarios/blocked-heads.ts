import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { progress } from '../log.js';
import type { StoreKind } from '../processes/config.js';
import { sleep, waitUntil } from '../util.js';
import { seed, type SeedMessage } from '../world/seed.js';
import type { World } from '../world/world.js';
import { finish, summarize, withWorld, writerLoad } from './common.js';
import { bySize, scaled, type Scenario, type ScenarioContext } from './types.js';

/**
 * Liveness (design guarantee 7): a key whose head cannot go holds back its own later messages and
 * nothing else. Each blocked key has a backlog several batches deep at the front of the queue:
 * its head is delayed, or fails a few times with backoff, or was dead-lettered and requeued
 * (and fails a few times more). Healthy keys are written meanwhile; every one of their messages
 * must go within the stall bound, which a claim that takes the first `limit` rows by position
 * and then drops the blocked key's rows does not do.
 */
export const blockedHeads: Scenario = {
  name: 'blocked heads',
  summary: 'Keys whose head is delayed, failing with backoff, or dead-lettered then requeued, each with a backlog of 5 batches at the front of the queue, while healthy keys are written.',
  tiers: ['smoke', 'full'],
  async run(ctx) {
    const rows = [];
    for (const kind of blockedHeadStores(ctx)) rows.push(await blockedOn(ctx, kind));
    return rows;
  },
};

/** The stores of the run, MariaDB in both claim modes (its lock mode claims with other SQL). */
export const withMysqlLock = (stores: readonly StoreKind[]): StoreKind[] =>
  stores.flatMap((k): StoreKind[] => (k === 'mysql' && !stores.includes('mysql-lock') ? ['mysql', 'mysql-lock'] : [k]));

/** The smoke tier: PostgreSQL's lease claim (one statement) and SQLite's (its own SQL). */
function blockedHeadStores(ctx: ScenarioContext): StoreKind[] {
  const kinds = withMysqlLock(ctx.stores);
  return ctx.tier === 'smoke' ? kinds.filter((k) => k === 'postgres-lease' || k === 'sqlite') : kinds;
}

interface Plan {
  batchSize: number;
  /** Blocked keys of each kind. */
  keysPerKind: number;
  /** Messages behind each blocked head. */
  backlog: number;
  delayMs: number;
  /** Failed attempts of a backoff head (retries 1 s, 2 s, 4 s, 8 s...). */
  failures: number;
  retryMs: number;
}

const planFor = (ctx: ScenarioContext): Plan => {
  const batchSize = bySize(ctx, 20, 50);
  return { batchSize, keysPerKind: bySize(ctx, 1, 2), backlog: 5 * batchSize, delayMs: scaled(ctx, bySize(ctx, 8, 15)) * 1000, failures: bySize(ctx, 3, 4), retryMs: 1000 };
};

const chain = (key: string, length: number, headDelayMs = 0): SeedMessage[] => Array.from({ length }, (_, i) => ({ key, v: i + 1, ...(i === 0 && headDelayMs > 0 ? { delayMs: headDelayMs } : {}) }));
const range = (n: number, name: (i: number) => string) => Array.from({ length: n }, (_, i) => name(i));

async function blockedOn(ctx: ScenarioContext, kind: StoreKind) {
  const started = Date.now();
  const p = planFor(ctx);
  return withWorld(ctx, { label: 'blocked', kind, keys: 20, claimTimeoutMs: 2000 }, async (w) => {
    const marker = join(w.o.dir, `${w.prefix}.requeued`);
    const dead = range(p.keysPerKind, (i) => `dead-${i}`);
    const backoff = range(p.keysPerKind, (i) => `backoff-${i}`);
    const delayed = range(p.keysPerKind, (i) => `delayed-${i}`);
    // Heads to be dead-lettered first, then the other blocked keys with their backlogs: all ahead of any healthy message.
    await seed(w, [...dead.map((key) => ({ key, v: 1 })), ...backoff.flatMap((k) => chain(k, p.backlog + 1)), ...delayed.flatMap((k) => chain(k, p.backlog + 1, p.delayMs))]);
    w.startConsumer();
    for (let i = 0; i < 2; i++) {
      w.startRelay({ batchSize: p.batchSize, retryMs: p.retryMs, maxAttempts: 10, heads: { backoff: { prefix: 'backoff-', times: p.failures }, dead: { prefix: 'dead-', marker, times: 2 } } });
    }
    w.startWriters(2, writerLoad(kind, { connections: 2, paceMs: 40 }));
    await requeueDeadHeads(w, dead.length, marker);
    // The requeued heads fail twice more (1 s, 2 s of backoff) with a backlog of their own behind them.
    await seed(w, dead.flatMap((key) => chain(key, p.backlog + 1).slice(1)));
    await sleep(p.delayMs + 2000);
    const notes = await finish(w, 60_000);
    notes.push(`${3 * p.keysPerKind} blocked keys (delayed ${p.delayMs / 1000} s, ${p.failures} failures with backoff from ${p.retryMs} ms, dead then requeued), ${p.backlog} messages behind each, batches of ${p.batchSize}`);
    return summarize(w, { scenario: 'blocked heads', store: kind, trials: 3 * p.keysPerKind, started, notes });
  });
}

/** Waits until the `dead-` heads are dead letters, then requeues them, as an operator who fixed the cause would. */
async function requeueDeadHeads(w: World, count: number, marker: string): Promise<void> {
  const store = await w.store();
  let ids: string[] = [];
  await waitUntil(
    async () => {
      ids = (await store.listDeadLetters({ limit: 100 })).filter((d) => d.key?.startsWith('dead-')).map((d) => d.id);
      return ids.length >= count;
    },
    20_000,
    'the dead- heads to be dead-lettered',
    100,
  );
  writeFileSync(marker, 'fixed\n');
  const requeued = await store.requeueDeadLetters(ids);
  progress(`blocked heads on ${w.kind}: ${requeued} dead heads requeued`);
}
