import type { FailpointName, FailpointSpec } from './config.js';
import { emit } from './protocol.js';

/**
 * Named places in a relay or consumer process where a scenario makes it fail: die (SIGKILL),
 * throw, stall its event loop, or stop (SIGSTOP; the harness sends SIGCONT after `ms`). Each spec
 * fires once, at its `hit`-th passage.
 */
export interface Failpoints {
  /** Passes the point; may never return (kill), throw, or return late (stall, pause). */
  reach(point: FailpointName, detail?: Record<string, unknown>): void;
  /** True when the next passage of `point` would fire a spec with this action. */
  armed(point: FailpointName, action: FailpointSpec['action']): boolean;
}

export class FailpointError extends Error {
  constructor(point: string) {
    super(`failpoint ${point} threw`);
    this.name = 'FailpointError';
  }
}

export function createFailpoints(specs: readonly FailpointSpec[]): Failpoints {
  const hits = new Map<FailpointName, number>();
  const due = (point: FailpointName, n: number) => specs.find((s) => s.point === point && s.hit === n);
  return {
    armed: (point, action) => due(point, (hits.get(point) ?? 0) + 1)?.action === action,
    reach(point, detail = {}) {
      const n = (hits.get(point) ?? 0) + 1;
      hits.set(point, n);
      const spec = due(point, n);
      if (!spec) return;
      emit({ ev: 'fp', point, action: spec.action, ms: spec.ms ?? 0, ...detail });
      switch (spec.action) {
        case 'kill':
          process.kill(process.pid, 'SIGKILL');
          break;
        case 'throw':
          throw new FailpointError(point);
        case 'stall': {
          // Blocks the event loop, as a long synchronous computation or a GC pause would.
          const end = Date.now() + (spec.ms ?? 1000);
          while (Date.now() < end);
          break;
        }
        case 'pause':
          process.kill(process.pid, 'SIGSTOP');
          break;
      }
    },
  };
}
