import { progress } from '../log.js';
import { isMysql, type StoreKind } from '../processes/config.js';
import { sleep } from '../util.js';
import { finish, summarize, withWorld, writerLoad } from './common.js';
import { bySize, scaled, type Scenario, type ScenarioContext } from './types.js';

type DbFault = 'crash' | 'restart' | 'freeze';

/** The database server operations the scenario needs (the harness's own PostgreSQL or MariaDB). */
export interface RestartableServer {
  url(port?: number): string;
  start(): Promise<void>;
  stop(mode: 'fast' | 'crash'): Promise<void>;
  freeze(): void;
  thaw(): void;
}

/**
 * The database goes away under load, with batches claimed and half published: killed outright
 * (every server process SIGKILLed, crash recovery at restart), shut down and restarted cleanly,
 * or frozen (SIGSTOP) past the claim timeout. Writers whose COMMIT got no answer do not know if
 * it committed: the business table decides, and the outbox must agree with it exactly.
 */
export const dbRestart: Scenario = {
  name: 'database restarted mid-batch',
  summary: 'The database is SIGKILLed (crash recovery on restart), restarted cleanly, or frozen with SIGSTOP past the claim timeout, while writers and relays are busy.',
  tiers: ['smoke', 'full'],
  async run(ctx) {
    const rows = [];
    const faults: DbFault[] = ctx.tier === 'smoke' ? ['crash'] : ['crash', 'restart', 'freeze'];
    const kinds = ctx.stores.filter((k) => k !== 'sqlite');
    for (const kind of ctx.tier === 'smoke' ? kinds.slice(0, 1) : kinds) {
      const server = isMysql(kind) ? await ctx.mariadb() : await ctx.postgres();
      for (const fault of faults) rows.push(await restartOn(ctx, kind, fault, server));
    }
    return rows;
  },
};

/** Names the rows of a run on another server (the durable crash scenario). */
export interface RestartLabel {
  scenario: string;
  /** Appended to the row's store: `postgres-lock / crash (fsync on)`. */
  suffix: string;
}

export async function restartOn(ctx: ScenarioContext, kind: StoreKind, fault: DbFault, server: RestartableServer, label?: RestartLabel) {
  const started = Date.now();
  const trials = scaled(ctx, bySize(ctx, 1, 3));
  const claimTimeoutMs = 2000;
  return withWorld(ctx, { label: `db-${fault}`, kind, keys: 20, claimTimeoutMs, server }, async (w) => {
    w.startConsumer();
    for (let i = 0; i < 2; i++) w.startRelay();
    w.startWriters(2, { ...writerLoad(kind, { connections: 4, paceMs: 10, commitDelay: 30 }), delayedRate: 0.05, delayMs: 500 });
    for (let trial = 0; trial < trials; trial++) {
      await sleep(1500);
      const at = Date.now();
      if (fault === 'freeze') {
        server.freeze();
        await sleep(claimTimeoutMs * 1.5);
        server.thaw();
      } else {
        await server.stop(fault === 'crash' ? 'crash' : 'fast');
        await sleep(1000);
        await server.start();
      }
      w.faults.push({ what: `database ${fault}`, at, restoredAt: Date.now() });
      progress(`database ${fault} ${trial + 1}/${trials} on ${kind}: back after ${Date.now() - at} ms`);
    }
    await sleep(1500);
    const notes = await finish(w, 60_000);
    const unknown = (await w.observe()).history.filter((h) => h.ev === 'unknown').length;
    if (unknown > 0) notes.push(`${unknown} commits got no answer; the business table settled them`);
    return summarize(w, { scenario: label?.scenario ?? 'database restarted mid-batch', store: `${kind} / ${fault}${label ? ` (${label.suffix})` : ''}`, trials, started, notes });
  });
}
