import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { progress } from '../log.js';
import type { StoreKind } from '../processes/config.js';
import type { ChildEvent, ChildHandle } from '../processes/handle.js';
import type { AnyStore } from '../processes/targets.js';
import { withoutSuperseded } from '../superseded.js';
import { sleep, waitAtMost } from '../util.js';
import { writeDedup } from '../world/debounce-write.js';
import type { World } from '../world/world.js';
import { withMysqlLock } from './blocked-heads.js';
import { finish, randomInt, summarize, withWorld, writerLoad } from './common.js';
import { bySize, scaled, type Scenario, type ScenarioContext } from './types.js';

/** Keys of the zombie rounds, of the background debounce and of the background dedup (first wins). */
const ZOMBIE = 'dz-';
const DEBOUNCE = 'db-';
const DEDUP = 'dd-';

/**
 * Debounce and dedup under relay pauses and lease expiry. Each round, the relay that publishes
 * the first message of a fresh dedup key stops itself (SIGSTOP) before acknowledging it; once its
 * claim has expired the message is rewritten (debounce: new id, new payload, a 1 s delay) and the
 * zombie is woken (SIGCONT) at once, so its acknowledgement reaches the rewritten row before any
 * other relay may claim it. That acknowledgement must be refused: accepted, it deletes content
 * nobody published, and the last write of the key is lost. Meanwhile writers debounce and dedup
 * onto a few shared keys, and plain writers keep healthy traffic going.
 */
export const debounceZombies: Scenario = {
  name: 'debounce under zombie relays',
  summary: 'A relay stopped (SIGSTOP) past its claim timeout after publishing the first message of a dedup key; the message is rewritten by debounce once the claim expired, then the zombie is woken and acknowledges; writers debounce and dedup onto shared keys meanwhile.',
  tiers: ['smoke', 'full'],
  async run(ctx) {
    const kinds = withMysqlLock(ctx.stores);
    const rows = [];
    for (const kind of ctx.tier === 'smoke' ? kinds.filter((k) => k === 'postgres-lease').slice(0, 1) : kinds) rows.push(await zombiesOn(ctx, kind));
    return rows;
  },
};

interface Pause {
  relay: ChildHandle;
  event: ChildEvent;
}

async function zombiesOn(ctx: ScenarioContext, kind: StoreKind) {
  const started = Date.now();
  const claimTimeoutMs = 2000;
  const rounds = scaled(ctx, bySize(ctx, 2, 6));
  return withWorld(ctx, { label: 'zombie', kind, keys: 20, claimTimeoutMs }, async (w) => {
    const markers = join(w.o.dir, 'zombies');
    mkdirSync(markers, { recursive: true });
    const store = await w.store();
    const pauses = new Map<string, Pause>();
    const onEvent = (e: ChildEvent, h: ChildHandle) => {
      if (e.ev === 'fp' && e.point === 'zombie') pauses.set(String(e.key), { relay: h, event: e });
    };
    w.startConsumer();
    for (let i = 0; i < 2; i++) w.startRelay({ zombie: { prefix: ZOMBIE, markers } }, onEvent);
    w.startWriters(2, writerLoad(kind, { connections: 2, paceMs: 40 }));
    await Promise.all(w.relays.map((r) => r.waitFor((e) => e.ev === 'ready', 30_000)));
    let bursting = true;
    const background = burst(w, store, () => bursting);
    background.catch(() => {}); // awaited below; a failure there fails the row
    let rewrites = 0;
    try {
      for (let round = 0; round < rounds; round++) {
        if (await zombieRound(w, store, `${ZOMBIE}${round}`, pauses, claimTimeoutMs)) rewrites++;
        progress(`zombie ${round + 1}/${rounds} on ${kind} done`);
        await sleep(randomInt(1500, 2500));
      }
    } finally {
      bursting = false;
    }
    const counts = await background;
    await sleep(1500);
    const notes = await finish(w, 60_000);
    const refused = w.relays.flatMap((r) => r.events.filter((e) => e.ev === 'stopped')).reduce((n, e) => n + Number((e.counts as Record<string, number> | undefined)?.lostClaims ?? 0), 0);
    let superseded = 0;
    const transform = (o: Parameters<typeof withoutSuperseded>[0]) => {
      const r = withoutSuperseded(o, [ZOMBIE, DEBOUNCE]);
      superseded = r.superseded;
      return r.observations;
    };
    const row = await summarize(w, { scenario: 'debounce under zombie relays', store: kind, trials: rounds, started, notes, transform });
    row.notes.push(
      `${rewrites} of ${rounds} rounds rewrote the message under the zombie's expired claim (the others were taken over first); ${refused} acknowledgements of lost claims were refused`,
      `background: ${counts.debounced} debounced writes onto ${counts.keys} keys (${superseded} superseded by a later one), ${counts.deduped} dedup writes stored and ${counts.duplicates} refused as duplicates; ${counts.retried} transactions retried after a deadlock or busy error`,
    );
    return row;
  });
}

/**
 * One round: the first message of `key`, a relay that publishes it and stops, the rewrite once its
 * claim has expired, the zombie woken. True when the rewrite landed on the expired claim's row
 * (false: another relay took the claim over first, and the update went in as a plain debounce).
 */
async function zombieRound(w: World, store: AnyStore, key: string, pauses: ReadonlyMap<string, Pause>, claimTimeoutMs: number): Promise<boolean> {
  await writeDedup(w, store, 'debounce', { key, v: 1, delayMs: 0 });
  if (!(await waitAtMost(() => pauses.has(key), 20_000, 10))) throw new Error(`no relay published ${key} within 20 s`);
  const { relay, event } = pauses.get(key)!;
  // The claim expires claimTimeoutMs after it was made (a little before the pause): from just
  // before then, try the rewrite until it lands on the expired claim's row.
  await sleep(Math.max(0, event.at + claimTimeoutMs - 300 - Date.now()));
  const until = Date.now() + 2 * claimTimeoutMs;
  let rewritten = false;
  while (!rewritten && Date.now() < until) {
    rewritten = (await writeDedup(w, store, 'rewrite', { key, v: 2, delayMs: 1000 }).catch(() => undefined)) !== undefined;
    if (!rewritten) await sleep(5);
  }
  if (!rewritten) await writeDedup(w, store, 'debounce', { key, v: 2, delayMs: 1000 });
  // At once: the rewritten message waits 1 s, so the zombie's acknowledgement comes first.
  relay.kill('SIGCONT');
  w.faults.push({ what: 'zombie after a rewrite', at: event.at, restoredAt: Date.now(), held: (event.ids as string[]) ?? [], victim: relay.name });
  return rewritten;
}

/** Writes debounced and dedup messages onto a few shared keys until `going()` turns false. */
async function burst(w: World, store: AnyStore, going: () => boolean) {
  const keys = 4;
  const next = new Map<string, number>();
  const counts = { keys: 2 * keys, debounced: 0, deduped: 0, duplicates: 0, retried: 0 };
  // A deadlock or busy database fails the transaction, which stored nothing: try it again, as an application would.
  const retrying = async (write: () => Promise<string | undefined>) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await write();
      } catch (error) {
        if (attempt >= 20 || !going()) throw error;
        counts.retried++;
        await sleep(20 * attempt);
      }
    }
  };
  while (going()) {
    const i = randomInt(0, keys - 1);
    const db = `${DEBOUNCE}${i}`;
    const v = (next.get(db) ?? 0) + 1;
    next.set(db, v);
    await retrying(() => writeDedup(w, store, 'debounce', { key: db, v, delayMs: 150 }));
    counts.debounced++;
    const dd = `${DEDUP}${i}`;
    // A dedup version counts only once stored: a refused duplicate leaves no business row.
    const dv = (next.get(dd) ?? 0) + 1;
    if ((await retrying(() => writeDedup(w, store, 'dedup', { key: dd, v: dv, delayMs: 0 }))) !== undefined) {
      next.set(dd, dv);
      counts.deduped++;
    } else counts.duplicates++;
    await sleep(randomInt(20, 60));
  }
  return counts;
}
