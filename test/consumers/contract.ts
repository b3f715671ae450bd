import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createConsumers, defineConsumer, type ConsumerDefinition, type Consumers } from '../../src/consumers/index.js';
import { parsePayload, type RelayEvent, type RelayEventListener } from '../../src/core/index.js';
import { eventually, sleep } from '../support/env.js';
import type { ConsumersHarness, ConsumersUnderTest } from './harness.js';

const fast = { backoff: { type: 'fixed' as const, initialMs: 30 } };

/** AsyncMonolith mode on every store: the same promises, whatever the database. */
export function consumersContract(harness: ConsumersHarness): void {
  describe(`in-process consumers: ${harness.name}`, () => {
    after(() => harness.close());

    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const setup = async (consumers: ConsumerDefinition<any, any>[], made?: ConsumersUnderTest, onEvent?: RelayEventListener) => {
      const t = made ?? (await harness.create());
      const bus = createConsumers({ store: t.store, inbox: t.inbox, schedules: t.schedules, consumers, pollIntervalMs: 20, scheduleIntervalMs: 50, ...(onEvent ? { onEvent } : {}) });
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const publish = (input: any) => t.write((tx) => (harness.asyncHandlers ? bus.publish(tx, input) : bus.publishSync(tx, input)));
      return { t, bus, publish };
    };
    const running = async <T>(bus: Consumers<unknown>, body: () => Promise<T>) => {
      bus.start();
      try {
        return await body();
      } finally {
        await bus.stop();
      }
    };

    it('gives every consumer of a topic its own copy: a failing one neither re-runs nor blocks the others', async () => {
      let t!: ConsumersUnderTest;
      const { bus, publish, t: made } = await setup([
        defineConsumer({ name: 'billing', topics: ['order.placed'], handle: (ctx) => t.bump(ctx.tx, 'billing') }),
        defineConsumer({ name: 'broken', topics: ['order.placed'], maxAttempts: 3, ...fast, handle: () => { throw new Error('always'); } }),
      ]);
      t = made;
      await running(bus, async () => {
        await publish({ topic: 'order.placed', key: 'o1', payload: { id: 'o1' } });
        await eventually(async () => (await bus.poisoned.list()).length === 1, 10_000, 'the broken consumer poisoned');
      });
      assert.equal(await t.counter('billing'), 1);
      const [poisoned] = await bus.poisoned.list({ consumer: 'broken' });
      assert.equal(poisoned!.error, 'always');
      assert.equal(poisoned!.attempts, 3);
      assert.deepEqual(await bus.poisoned.list({ consumer: 'billing' }), []);
    });

    it('holds back only the failing key: one customer in backoff with a deep backlog delays no other customer or consumer', async () => {
      const t = await harness.create();
      const billing = defineConsumer({
        name: 'billing',
        topics: ['invoice'],
        backoff: { type: 'fixed', initialMs: 60_000 },
        handle: (ctx) => {
          if (ctx.message.headers['txbox-key'] === 'stuck') throw new Error('card declined');
          return t.bump(ctx.tx, 'billing');
        },
      });
      const emails = defineConsumer({ name: 'emails', topics: ['welcome'], handle: (ctx) => t.bump(ctx.tx, 'emails') });
      let failed = 0;
      const onEvent = (e: RelayEvent) => void (e.type === 'message.failed' && failed++);
      const bus = createConsumers({ store: t.store, inbox: t.inbox, schedules: t.schedules, consumers: [billing, emails], pollIntervalMs: 20, batchSize: 5, onEvent });
      const publish = (input: unknown) => t.write((tx) => (harness.asyncHandlers ? bus.publish(tx, input as never) : bus.publishSync(tx, input as never)));
      await running(bus, async () => {
        await publish(Array.from({ length: 26 }, (_, n) => ({ topic: 'invoice', key: 'stuck', payload: n })));
        await eventually(() => failed > 0, 5_000, 'the stuck head in backoff');
        await publish([{ topic: 'invoice', key: 'paying', payload: 1 }, { topic: 'welcome', key: 'new-user', payload: 1 }]);
        await eventually(async () => (await t.counter('billing')) === 1 && (await t.counter('emails')) === 1, 3_000, 'other keys and consumers handled while the stuck key waits');
      });
    });

    it('retries with the consumer\'s backoff and succeeds; poisoned messages can be retried and discarded', async () => {
      let t!: ConsumersUnderTest;
      let fail = 2;
      let healthy = false;
      const { bus, publish, t: made } = await setup([
        defineConsumer({ name: 'flaky', topics: ['a'], maxAttempts: 5, ...fast, handle: (ctx) => { if (fail-- > 0) throw new Error('not yet'); return t.bump(ctx.tx, 'flaky'); } }),
        defineConsumer({ name: 'sick', topics: ['b'], maxAttempts: 1, handle: (ctx) => { if (!healthy) throw new Error('sick'); return t.bump(ctx.tx, 'sick'); } }),
      ]);
      t = made;
      await running(bus, async () => {
        await publish([{ topic: 'a', payload: 1 }, { topic: 'b', payload: 1 }, { topic: 'b', payload: 2 }]);
        await eventually(async () => (await t.counter('flaky')) === 1 && (await bus.poisoned.list()).length === 2, 10_000, 'retry and poison');
        healthy = true;
        const [first, second] = await bus.poisoned.list({ consumer: 'sick' });
        assert.equal(await bus.poisoned.retry([first!.id]), 1);
        assert.equal(await bus.poisoned.discard([second!.id]), 1);
        await eventually(async () => (await t.counter('sick')) === 1, 10_000, 'the retried message handled');
      });
      assert.deepEqual(await bus.poisoned.list(), []);
      assert.equal(await t.counter('flaky'), 1);
    });

    it('lists one consumer\'s poisoned messages behind more than 1,000 of another\'s', async () => {
      const { bus, publish, t } = await setup([
        defineConsumer({ name: 'noisy', topics: ['noise'], handle: () => {} }),
        defineConsumer({ name: 'quiet', topics: ['signal'], handle: () => {} }),
      ]);
      for (let i = 0; i < 1_050; i += 350) await publish(Array.from({ length: 350 }, (_, n) => ({ topic: 'noise', payload: i + n })));
      await publish({ topic: 'signal', payload: 'last' });
      // Poisoned through the store's own port, no handler runs: claim everything and settle it dead.
      for (let round = 0; round < 10; round++) {
        const batch = await t.store.claim({ limit: 500 });
        if (!batch) break;
        const failed = batch.messages.map((m: { id: string }) => ({ id: m.id, error: 'poisoned', retryInMs: 0, dead: true }));
        await t.store.settle(batch, { delivered: [], failed, released: [] });
      }
      assert.equal((await bus.poisoned.list({ limit: 2_000 })).length, 1_051);
      const quiet = await bus.poisoned.list({ consumer: 'quiet' });
      assert.deepEqual(quiet.map((d) => parsePayload(d)), ['last']);
      assert.equal((await bus.poisoned.list({ consumer: 'noisy', limit: 5 })).length, 5);
      assert.deepEqual(await bus.poisoned.list({ consumer: 'nobody' }), []);
    });

    it('never handles a delayed message early', async () => {
      let t!: ConsumersUnderTest;
      const handledAt: number[] = [];
      const { bus, publish, t: made } = await setup([defineConsumer({ name: 'later', topics: ['t'], handle: (ctx) => { handledAt.push(Date.now()); return t.bump(ctx.tx, 'later'); } })]);
      t = made;
      await running(bus, async () => {
        const sentAt = Date.now();
        await publish({ topic: 't', payload: 1, delayMs: 600 });
        await eventually(async () => (await t.counter('later')) === 1, 10_000, 'the delayed message');
        assert.ok(handledAt[0]! - sentAt >= 590, `handled after ${handledAt[0]! - sentAt} ms`);
      });
    });

    it('stores one message per dedup id while one is pending, and accepts it again once handled', async () => {
      let t!: ConsumersUnderTest;
      const payloads: unknown[] = [];
      const { bus, publish, t: made } = await setup([defineConsumer({ name: 'views', topics: ['page.viewed'], handle: (ctx) => { payloads.push(ctx.payload); return t.bump(ctx.tx, 'views'); } })]);
      t = made;
      await publish({ topic: 'page.viewed', payload: 1, dedupId: 'page-7', delayMs: 300 });
      await publish({ topic: 'page.viewed', payload: 2, dedupId: 'page-7', delayMs: 300 });
      await publish({ topic: 'page.viewed', payload: 3, dedupId: 'page-8' });
      await running(bus, async () => {
        await eventually(async () => (await t.counter('views')) === 2, 10_000, 'two handled');
        await sleep(100);
        await publish({ topic: 'page.viewed', payload: 4, dedupId: 'page-7' });
        await eventually(async () => (await t.counter('views')) === 3, 10_000, 'accepted again');
      });
      assert.deepEqual(payloads.sort(), [1, 3, 4], 'the first of a burst wins');
    });

    it('keeps dedup ids of different topics apart, even when topic and id join into the same text', async () => {
      let t!: ConsumersUnderTest;
      const payloads: unknown[] = [];
      const { bus, publish, t: made } = await setup([defineConsumer({ name: 'doc', topics: ['doc/changed', 'doc'], handle: (ctx) => { payloads.push(ctx.payload); return t.bump(ctx.tx, 'docs'); } })]);
      t = made;
      // `doc` + `changed/42` and `doc/changed` + `42` read alike as `doc/changed/42`.
      await publish({ topic: 'doc/changed', payload: 'a', dedupId: '42', delayMs: 200 });
      await publish({ topic: 'doc', payload: 'b', dedupId: 'changed/42', delayMs: 200 });
      await running(bus, () => eventually(async () => (await t.counter('docs')) === 2, 5_000, 'both messages handled'));
      assert.deepEqual(payloads.sort(), ['a', 'b']);
    });

    it('debounces: a burst is handled once, after it ends, with its last payload', async () => {
      let t!: ConsumersUnderTest;
      const handled: { payload: unknown; at: number }[] = [];
      const { bus, publish, t: made } = await setup([defineConsumer({ name: 'indexer', topics: ['doc.changed'], handle: (ctx) => {
        handled.push({ payload: ctx.payload, at: Date.now() });
        return t.bump(ctx.tx, 'indexed');
      } })]);
      t = made;
      await running(bus, async () => {
        let lastAt = 0;
        for (let n = 1; n <= 4; n++) {
          await publish({ topic: 'doc.changed', payload: n, dedupId: 'doc-1', debounce: true, delayMs: 400 });
          lastAt = Date.now();
          await sleep(60);
        }
        await eventually(async () => (await t.counter('indexed')) === 1, 10_000, 'one handling');
        await sleep(500);
        assert.equal(await t.counter('indexed'), 1, 'only one');
        assert.deepEqual(handled.map((h) => h.payload), [4]);
        assert.ok(handled[0]!.at - lastAt >= 390, `handled ${handled[0]!.at - lastAt} ms after the last publish`);
      });
      await assert.rejects(publish({ topic: 'doc.changed', payload: 1, debounce: true }), { code: 'INVALID_ARGUMENT', field: 'messages[0].debounce' });
    });

    it('chains modules: what a handler publishes commits with its effects and reaches the next consumer once', async () => {
      let t!: ConsumersUnderTest;
      const { bus, publish, t: made } = await setup([
        defineConsumer({ name: 'billing', topics: ['order.placed'], handle: async (ctx) => {
          await t.bump(ctx.tx, 'invoiced');
          await ctx.publish({ topic: 'invoice.created', key: ctx.key!, payload: { order: (ctx.payload as { id: string }).id } });
        } }),
        defineConsumer({ name: 'email', topics: ['invoice.created'], handle: (ctx) => t.bump(ctx.tx, `mailed:${(ctx.payload as { order: string }).order}`) }),
      ].map((c) => (harness.asyncHandlers ? c : { ...c, handle: syncVersion(c.name, () => t) })));
      t = made;
      await running(bus, async () => {
        await publish([{ topic: 'order.placed', key: 'o1', payload: { id: 'o1' } }, { topic: 'order.placed', key: 'o2', payload: { id: 'o2' } }]);
        await eventually(async () => (await t.counter('mailed:o1')) === 1 && (await t.counter('mailed:o2')) === 1, 10_000, 'both orders mailed');
      });
      assert.equal(await t.counter('invoiced'), 2);
    });

    it('handles a key\'s messages in order, holding the rest of the key while one retries', async () => {
      let t!: ConsumersUnderTest;
      const seen: number[] = [];
      let failFirst = true;
      const { bus, publish, t: made } = await setup([defineConsumer({ name: 'ledger', topics: ['entry'], ...fast, handle: (ctx) => {
        const n = ctx.payload as number;
        if (n === 0 && failFirst) { failFirst = false; throw new Error('retry me'); }
        seen.push(n);
        return t.bump(ctx.tx, 'entries');
      } })]);
      t = made;
      await publish([0, 1, 2, 3, 4].map((n) => ({ topic: 'entry', key: 'acct-1', payload: n })));
      await running(bus, () => eventually(async () => (await t.counter('entries')) === 5, 10_000, 'all entries'));
      assert.deepEqual(seen, [0, 1, 2, 3, 4]);
    });

    it('rejects a topic nobody consumes and bad consumer options, naming them', async () => {
      const { publish } = await setup([defineConsumer({ name: 'x', topics: ['known'], handle: () => {} })]);
      await assert.rejects(publish({ topic: 'unknown', payload: 1 }), { code: 'INVALID_ARGUMENT', field: 'messages[0].topic' });
      await assert.rejects(publish({ topic: 'known', payload: 1, dedupId: 'x'.repeat(250) }), { code: 'INVALID_ARGUMENT', field: 'messages[0].dedupId' });
      const t = await harness.create();
      assert.throws(() => createConsumers({ store: t.store, inbox: t.inbox, consumers: [{ name: 'x', topics: ['a'], handle: () => {}, concurrency: 0 }] }), { code: 'INVALID_OPTION', field: 'consumers[0].concurrency' });
      assert.throws(() => createConsumers({ store: t.store, inbox: t.inbox, consumers: [{ name: 'x', topics: ['a'], handle: () => {} }, { name: 'x', topics: ['b'], handle: () => {} }] }), { code: 'INVALID_OPTION', field: 'consumers[1].name' });
    });

    it('keeps a claim window beside the longest handler timeout allowed, and refuses a longer one naming both', async () => {
      const t = await harness.create();
      const claim = t.store.claimTimeoutMs;
      const tooLong = { name: 'slow', topics: ['t'], timeoutMs: claim - 1, handle: () => {} };
      assert.throws(() => createConsumers({ store: t.store, inbox: t.inbox, consumers: [tooLong] }), (error: Error & { code?: string; field?: string; value?: unknown }) => {
        assert.equal(error.code, 'INVALID_OPTION');
        assert.equal(error.field, 'consumers[0].timeoutMs');
        assert.equal(error.value, claim - 1);
        assert.match(error.message, new RegExp(`claimTimeoutMs \\(${claim}\\)`));
        return true;
      });
      const events: RelayEvent[] = [];
      const { bus, publish } = await setup([defineConsumer({ name: 'patient', topics: ['t'], timeoutMs: claim - 1000, handle: (ctx) => t.bump(ctx.tx, 'patient') })], t, (e) => events.push(e));
      await publish([1, 2, 3].map((n) => ({ topic: 't', payload: n })));
      await running(bus, () => eventually(async () => (await t.counter('patient')) === 3, 10_000, 'all three handled'));
      assert.deepEqual(events.filter((e) => e.type === 'batch.expired'), [], 'no claim expired before its batch ran');
    });

    it('publishes each cron tick once, with two schedulers racing on one database', async () => {
      const t = await harness.create();
      const ticks: string[] = [];
      const tick = defineConsumer({ name: 'tick', topics: ['heartbeat'], handle: (ctx) => {
        ticks.push(ctx.message.headers['txbox-scheduled-for']!);
        return t.bump(ctx.tx, 'ticks');
      } });
      const [one, two] = [await setup([tick], t), await setup([tick], t)];
      await one.bus.schedules.set({ name: 'beat', cron: '* * * * * *', topic: 'heartbeat', payload: { n: 1 } });
      const fired: number[] = [];
      for (let round = 0; round < 3; round++) {
        await sleep(1000 - (Date.now() % 1000) + 30); // just past the next whole second: one tick is due
        const both = await Promise.all([one.bus.schedules.fireDue(), two.bus.schedules.fireDue()]);
        fired.push(both[0] + both[1]);
      }
      assert.deepEqual(fired, [1, 1, 1], 'each due tick fired by exactly one scheduler');
      await running(one.bus, () => eventually(async () => (await t.counter('ticks')) === 3, 10_000, 'three ticks handled'));
      assert.equal(new Set(ticks).size, 3, `each tick once: ${ticks.join(', ')}`);
      assert.ok(ticks.every((at) => new Date(at).getUTCMilliseconds() === 0), 'ticks on whole seconds');
    });

    it('keeps a due tick when a starting process sets the same schedule again, and reschedules a changed pattern', async () => {
      const t = await harness.create();
      const tick = defineConsumer({ name: 'tick', topics: ['beat'], handle: () => {} });
      const [live, booting] = [await setup([tick], t), await setup([tick], t)];
      const beat = { name: 'beat', cron: '* * * * * *', topic: 'beat', payload: null };
      await live.bus.schedules.set(beat);
      await sleep(1000 - (Date.now() % 1000) + 30); // just past the next whole second: its tick is due, not fired
      // A rolling restart: the new process declares its schedules as it starts, before the running one checks.
      await booting.bus.schedules.set(beat);
      assert.equal(await live.bus.schedules.fireDue(), 1, 'the due tick still fires');
      await booting.bus.schedules.set({ ...beat, cron: '0 0 1 1 *' });
      const [changed] = await live.bus.schedules.list();
      assert.ok(changed!.nextRunAt.getTime() > Date.now() + 60_000, 'a new pattern takes its own next tick');
    });

    it('lets two services share one schedules table: each fires its own ticks once, past stale and broken schedules', async () => {
      const t = await harness.create();
      const failed: unknown[] = [];
      const onEvent: RelayEventListener = (e) => void (e.type === 'schedule.failed' && failed.push(e.error));
      const a = await setup([defineConsumer({ name: 'a', topics: ['a.beat'], handle: () => {} })], t, onEvent);
      const b = await setup([defineConsumer({ name: 'b', topics: ['b.beat', 'b.broken'], handle: () => {} })], t, onEvent);
      await a.bus.schedules.set({ name: 'a-beat', cron: '* * * * * *', topic: 'a.beat', payload: 'a' });
      await b.bus.schedules.set({ name: 'b-beat', cron: '* * * * * *', topic: 'b.beat', payload: 'b' });
      // Due before the others: one of a service neither runs (a rolling deploy removed its consumer),
      // and one of b's whose stored payload cannot be read.
      const past = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
      const raw = (name: string, topic: string, payload: string) => ({ name, cron: '* * * * * *', timezone: null, topic, payload, key: null, nextRunAt: past });
      for (const s of [raw('stale', 'gone', 'null'), raw('broken', 'b.broken', '{')]) {
        await t.write((tx) => (harness.asyncHandlers ? t.schedules.save(tx, s) : t.schedules.saveSync!(tx, s)));
      }
      const fired: number[][] = [];
      for (let round = 0; round < 3; round++) {
        await sleep(1000 - (Date.now() % 1000) + 30); // just past the next whole second: one tick of each is due
        fired.push(await Promise.all([a.bus.schedules.fireDue(), b.bus.schedules.fireDue()]));
      }
      assert.deepEqual(fired, [[1, 1], [1, 1], [1, 1]], 'each service fired its own tick once per second');
      assert.equal(failed.length, 3, 'the broken schedule failed once per round, alone');
      assert.match(String((failed[0] as Error).message), /schedule "broken"/);
      const left = Object.fromEntries((await a.bus.schedules.list()).map((s) => [s.name, s.nextRunAt.getTime()]));
      assert.equal(left.stale, past.getTime(), 'the stale schedule neither fired nor advanced');
      assert.equal(left.broken, past.getTime(), 'the broken schedule stays due');
    });

    it('changes and removes schedules at run time, and reads patterns in their time zone', async () => {
      let t!: ConsumersUnderTest;
      const seen: unknown[] = [];
      const { bus, t: made } = await setup([defineConsumer({ name: 'report', topics: ['report.due', 'report.other'], handle: (ctx) => { seen.push(ctx.payload); return t.bump(ctx.tx, 'reports'); } })]);
      t = made;
      await bus.schedules.set({ name: 'daily', cron: '0 9 * * *', timezone: 'Asia/Tokyo', topic: 'report.due', payload: 'v1' });
      const [daily] = await bus.schedules.list();
      assert.equal(daily!.nextRunAt.getUTCHours(), 0, '09:00 in Tokyo is midnight UTC');
      assert.equal(daily!.nextRunAt.getUTCMinutes(), 0);
      await bus.schedules.set({ name: 'daily', cron: '* * * * * *', topic: 'report.other', payload: 'v2' });
      await running(bus, () => eventually(async () => (await t.counter('reports')) >= 1, 10_000, 'the changed schedule'));
      assert.deepEqual([...new Set(seen)], ['v2']);
      assert.equal(await bus.schedules.remove('daily'), true);
      assert.deepEqual(await bus.schedules.list(), []);
      await assert.rejects(bus.schedules.set({ name: 'bad', cron: '61 * * * *', topic: 'report.due' }), { code: 'INVALID_ARGUMENT', field: 'schedule.cron' });
      await assert.rejects(bus.schedules.set({ name: 'bad', cron: '* * * * *', timezone: 'Mars/Base', topic: 'report.due' }), { code: 'INVALID_ARGUMENT', field: 'schedule.timezone' });
      await assert.rejects(bus.schedules.set({ name: 'bad', cron: '* * * * *', topic: 'nobody' }), { code: 'INVALID_ARGUMENT', field: 'schedule.topic' });
    });

    if (harness.asyncHandlers) {
      it('runs no more handlers of a consumer at once than its concurrency', async () => {
        let t!: ConsumersUnderTest;
        let now = 0;
        let peak = 0;
        const { bus, publish, t: made } = await setup([defineConsumer({ name: 'slow', topics: ['job'], concurrency: 2, handle: async (ctx) => {
          peak = Math.max(peak, ++now);
          await sleep(40);
          now--;
          await t.bump(ctx.tx, 'jobs');
        } })]);
        t = made;
        await publish(Array.from({ length: 8 }, (_, n) => ({ topic: 'job', payload: n })));
        await running(bus, () => eventually(async () => (await t.counter('jobs')) === 8, 10_000, 'all jobs'));
        assert.equal(peak, harness.parallelTransactions ? 2 : 1);
      });

      it('keeps a debounced message published while its predecessor runs, for after it', async () => {
        let t!: ConsumersUnderTest;
        const handled: unknown[] = [];
        const { bus, publish, t: made } = await setup([defineConsumer({ name: 'indexer', topics: ['doc.changed'], handle: async (ctx) => {
          if (ctx.payload === 1) await sleep(300);
          handled.push(ctx.payload);
          await t.bump(ctx.tx, 'indexed');
        } })]);
        t = made;
        await publish({ topic: 'doc.changed', payload: 1, dedupId: 'doc-1', debounce: true });
        await running(bus, async () => {
          await sleep(100); // the first is running now
          await publish({ topic: 'doc.changed', payload: 2, dedupId: 'doc-1', debounce: true, delayMs: 200 });
          await publish({ topic: 'doc.changed', payload: 3, dedupId: 'doc-1', debounce: true, delayMs: 200 });
          await eventually(async () => (await t.counter('indexed')) === 2, 10_000, 'two handlings');
        });
        assert.deepEqual(handled, [1, 3]);
      });

      it('answers the relay at its deadline: handlers that succeeded are ok, those never started count no attempt', async () => {
        let t!: ConsumersUnderTest;
        const events: RelayEvent[] = [];
        const runs = new Map<number, number[]>();
        // One at a time, 150 ms each: the relay's deadline (300 + 1000 ms) passes with the batch half done.
        const { bus, publish, t: made } = await setup([defineConsumer({ name: 'queued', topics: ['job'], timeoutMs: 300, handle: async (ctx) => {
          runs.set(ctx.payload as number, [...(runs.get(ctx.payload as number) ?? []), ctx.attempt]);
          await sleep(150);
          await t.bump(ctx.tx, 'jobs');
        } })], undefined, (e) => events.push(e));
        t = made;
        await publish(Array.from({ length: 12 }, (_, n) => ({ topic: 'job', payload: n })));
        await running(bus, () => eventually(async () => (await t.counter('jobs')) === 12, 15_000, 'all jobs'));
        assert.deepEqual(events.filter((e) => e.type === 'message.failed' || e.type === 'message.dead'), [], 'no attempt counted');
        assert.ok(events.some((e) => e.type === 'batch.settled' && e.released > 0), 'the deadline passed with messages not yet started');
        assert.equal(runs.size, 12);
        assert.deepEqual([...runs.values()].flat().filter((attempt) => attempt !== 1), [], 'every run was a first attempt');
        // The one running when the deadline passed is abandoned (rolled back) and runs again; no other.
        const expired = events.filter((e) => e.type === 'batch.settled' && e.released > 0).length;
        const reruns = [...runs.values()].reduce((n, attempts) => n + attempts.length - 1, 0);
        assert.ok(reruns <= expired, `${reruns} reruns for ${expired} expired deadlines`);
      });

      it('abandons a handler past its timeout and retries the message', async () => {
        let t!: ConsumersUnderTest;
        let calls = 0;
        const { bus, publish, t: made } = await setup([defineConsumer({ name: 'stuck', topics: ['t'], timeoutMs: 200, ...fast, handle: async (ctx) => {
          if (calls++ === 0) await new Promise((r) => ctx.signal.addEventListener('abort', r));
          else await t.bump(ctx.tx, 'done');
        } })]);
        t = made;
        await publish({ topic: 't', payload: 1 });
        await running(bus, () => eventually(async () => (await t.counter('done')) === 1, 10_000, 'handled on the second try'));
        assert.equal(calls, 2);
      });
    }
  });
}

/** The chain test's handlers written synchronously, for better-sqlite3. */
function syncVersion(name: string, t: () => ConsumersUnderTest) {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return (ctx: any) => {
    if (name === 'billing') {
      t().bump(ctx.tx, 'invoiced');
      void ctx.publish({ topic: 'invoice.created', key: ctx.key, payload: { order: ctx.payload.id } });
      return;
    }
    t().bump(ctx.tx, `mailed:${ctx.payload.order}`);
  };
}
