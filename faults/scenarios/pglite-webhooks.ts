import { progress } from '../log.js';
import { sleep, waitAtMost } from '../util.js';
import { SoloWorld } from '../world/solo-world.js';
import { summarize } from './common.js';
import { bySize, scaled, type Scenario, type ScenarioContext } from './types.js';

type ReceiverFault = 'timeout' | '5xx' | 'down';

/**
 * PGlite as the outbox, in a one-process application (writers, relay and database in one
 * process), delivering through txbox's webhook producer to a receiver that misbehaves: it holds
 * requests beyond the sender's deadline and then applies them anyway, answers 5xx (some before
 * reading, some after the effect committed), or is SIGKILLed and comes back 3 s later. Every
 * answer but a 2xx must mean "try again", so nothing may be lost or dead-lettered, the receiver's
 * inbox keeps each effect single, and the key's order holds. Runs with postgres-lease (PGlite
 * claims with PostgreSQL's lease SQL) or with --store pglite.
 */
export const pgliteWebhooks: Scenario = {
  name: 'pglite app to a failing webhook receiver',
  summary: 'PGlite as the outbox in one process (writers + relay), txbox/http to a receiver that times out, answers 5xx or is down (3 s each, 3 trials).',
  tiers: ['full'],
  async run(ctx) {
    if (!ctx.stores.includes('pglite') && !ctx.stores.includes('postgres-lease')) return [];
    const rows = [];
    for (const fault of ['timeout', '5xx', 'down'] as const) rows.push(await faultOn(ctx, fault));
    return rows;
  },
};

async function faultOn(ctx: ScenarioContext, fault: ReceiverFault) {
  const started = Date.now();
  const trials = scaled(ctx, bySize(ctx, 1, 3));
  const claimTimeoutMs = 2000;
  const w = new SoloWorld({ label: `pglite-http-${fault}`, dir: ctx.dir(`pglite-http-${fault}`), keys: 20, claimTimeoutMs });
  try {
    await w.setup();
    const receiver = w.startReceiver();
    await receiver.waitFor((e) => e.ev === 'ready', 30_000);
    const app = w.startSolo();
    if (!(await app.waitFor((e) => e.ev === 'ready', 60_000))) throw new Error('the PGlite application did not start');
    for (let trial = 0; trial < trials; trial++) {
      await sleep(2500);
      const at = Date.now();
      if (fault === 'timeout') {
        // Held beyond the POST deadline (and the relay's produce deadline): the sender retries, the late original lands too.
        w.setMode({ kind: 'slow', holdMs: claimTimeoutMs });
        await sleep(3000);
        w.setMode({ kind: 'ok' });
      } else if (fault === '5xx') {
        w.setMode({ kind: '5xx' });
        await sleep(3000);
        w.setMode({ kind: 'ok' });
      } else {
        w.receiver?.kill('SIGKILL');
        await w.receiver?.exited;
        await sleep(3000);
        const back = w.startReceiver();
        await waitAtMost(() => back.events.some((e) => e.ev === 'ready'), 30_000);
      }
      // The destination refused everything: an outage of delivery, measured from its end.
      w.faults.push({ what: `receiver ${fault}`, at, restoredAt: Date.now() });
      progress(`receiver ${fault} ${trial + 1}/${trials}`);
    }
    await sleep(2000);
    const notes = await w.finish(60_000);
    if (fault === 'down') notes.push(`receiver SIGKILLed ${trials} times, back after 3 s each`);
    return await summarize(w, { scenario: 'pglite app to a failing webhook receiver', store: `pglite → http / ${fault}`, trials, started, notes });
  } finally {
    await w.teardown(process.env.TXBOX_FAULTS_KEEP === '1');
  }
}
