import type { Clock } from '../core/clock.js';

export interface FakeClock extends Clock {
  /** Moves time forward, firing due timers in order and letting the code they wake run. */
  advance(ms: number): Promise<void>;
  /** Lets pending promise callbacks run without moving time. */
  flush(): Promise<void>;
  /** Timers not yet fired. */
  readonly pendingTimers: number;
}

interface Timer {
  at: number;
  seq: number;
  resolve: () => void;
}

/** A clock that only moves when told: relay tests run without a single real sleep. */
export function createFakeClock(startMs = Date.UTC(2030, 0, 1)): FakeClock {
  let now = startMs;
  let seq = 0;
  const timers = new Set<Timer>();

  const flush = async () => {
    for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
  };

  return {
    now: () => now,
    sleep(ms, signal) {
      return new Promise<void>((resolve) => {
        if (signal?.aborted) return resolve();
        const timer: Timer = {
          at: now + Math.max(0, ms),
          seq: seq++,
          resolve: () => {
            timers.delete(timer);
            signal?.removeEventListener('abort', timer.resolve);
            resolve();
          },
        };
        timers.add(timer);
        signal?.addEventListener('abort', timer.resolve, { once: true });
      });
    },
    async advance(ms) {
      const target = now + ms;
      await flush();
      for (;;) {
        const due = [...timers].filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
        if (!due) break;
        now = Math.max(now, due.at);
        due.resolve();
        await flush();
      }
      now = target;
      await flush();
    },
    flush,
    get pendingTimers() {
      return timers.size;
    },
  };
}
