import { readBacklog, type Backlog } from './backlog.js';
import type { DashboardOutbox } from './options.js';
import type { RelayEventLike } from './types.js';

export interface Sample {
  readonly at: number;
  /** Messages delivered, failed and dead-lettered since the previous sample, from relay events. */
  readonly delivered: number;
  readonly failed: number;
  readonly dead: number;
  /** Null when the store did not answer. */
  readonly backlog: Backlog | null;
}

/** One hour of samples per outbox. */
export const WINDOW_MS = 3_600_000;

interface Track {
  readonly outbox: DashboardOutbox;
  readonly ring: Sample[];
  delivered: number;
  failed: number;
  dead: number;
  /** Whether any relay event was seen: without them throughput is unknown, not zero. */
  fed: boolean;
  readonly lastFired: Map<string, Date>;
}

const keyOf = (k: { kind: string; name: string }) => `${k.kind}\u0000${k.name}`;

/**
 * The handler's own sampler: every interval it reads each outbox's backlog and turns the relay
 * events counted since into one sample, kept in a ring that holds one hour. Memory is bounded
 * (one hour / interval samples per outbox); nothing is stored anywhere else.
 */
export function createSampler(outboxes: readonly DashboardOutbox[], intervalMs: number) {
  const tracks = new Map<string, Track>();
  const byName = new Map<string, Track>();
  for (const outbox of outboxes) {
    const track: Track = { outbox, ring: [], delivered: 0, failed: 0, dead: 0, fed: false, lastFired: new Map() };
    tracks.set(keyOf(outbox.store.key), track);
    byName.set(outbox.name, track);
  }
  const capacity = Math.ceil(WINDOW_MS / intervalMs) + 1;
  let timer: NodeJS.Timeout | undefined;
  let ticking: Promise<void> | undefined;

  const sampleOne = async (t: Track, at: number) => {
    const backlog = await readBacklog(t.outbox.store, at).catch(() => null);
    const sample: Sample = { at, delivered: t.delivered, failed: t.failed, dead: t.dead, backlog };
    t.delivered = t.failed = t.dead = 0;
    t.ring.push(sample);
    if (t.ring.length > capacity) t.ring.splice(0, t.ring.length - capacity);
  };

  const tick = () => {
    // A slow store must not pile up ticks: the next one waits for this one.
    if (ticking) return ticking;
    const at = Date.now();
    ticking = Promise.all([...tracks.values()].map((t) => sampleOne(t, at))).then(() => {
      ticking = undefined;
    });
    return ticking;
  };

  return {
    /** A relay `onEvent` listener (or call it from yours): counts deliveries for the throughput chart. */
    onEvent(event: RelayEventLike): void {
      const t = tracks.get(keyOf(event.key));
      if (!t) return;
      t.fed = true;
      if (event.type === 'batch.settled' && 'delivered' in event) {
        t.delivered += event.delivered;
        t.failed += event.failed;
        t.dead += event.dead;
      } else if (event.type === 'schedule.fired' && 'scheduledFor' in event) {
        t.lastFired.set(event.name, new Date());
      }
    },
    start(): void {
      if (timer) return;
      void tick();
      timer = setInterval(() => void tick(), intervalMs);
      timer.unref();
    },
    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      timer = undefined;
      await ticking;
    },
    /** Takes a sample now (the tests' and the first page's way not to wait an interval). */
    sampleNow: () => tick(),
    samples: (name: string): readonly Sample[] => byName.get(name)?.ring ?? [],
    fed: (name: string) => byName.get(name)?.fed ?? false,
    lastFired: (name: string, schedule: string) => byName.get(name)?.lastFired.get(schedule),
  };
}

export type Sampler = ReturnType<typeof createSampler>;
