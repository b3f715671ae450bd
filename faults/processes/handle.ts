import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { progress } from '../log.js';
import { waitAtMost } from '../util.js';

/** One line a child reported, stamped with the harness's receive time. */
export interface ChildEvent {
  ev: string;
  at: number;
  [field: string]: unknown;
}

/**
 * A child process of the harness (writer, relay, consumer), seen from the harness: its reports,
 * and the signals a scenario sends it. Every child still running when the harness exits is
 * SIGKILLed, so none outlives a run, even a failed one.
 */
export interface ChildHandle {
  readonly name: string;
  readonly pid: number;
  readonly events: ChildEvent[];
  /** The latest `progress` report (kept apart: there can be very many). */
  readonly lastProgress: ChildEvent | undefined;
  /** Resolves with the exit code (or signal name) once the process is gone. */
  readonly exited: Promise<number | string>;
  readonly running: boolean;
  /** When the process exited (wall-clock ms), once it has. */
  readonly exitedAt: number | undefined;
  /** True when `stop()` had to SIGKILL it. */
  readonly forced: boolean;
  kill(signal: NodeJS.Signals): void;
  /** Waits up to `timeoutMs` for an event matching `match`; resolves it, or undefined. */
  waitFor(match: (e: ChildEvent) => boolean, timeoutMs: number): Promise<ChildEvent | undefined>;
  /** SIGTERM, then SIGKILL if it has not exited after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<void>;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) {
    try {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    } catch {
      // Already gone.
    }
  }
});

const script = (name: string) => fileURLToPath(new URL(`./${name}.ts`, import.meta.url));

export function startChild(kind: 'writer' | 'relay' | 'consumer' | 'solo' | 'receiver' | 'service', name: string, config: unknown, onEvent?: (e: ChildEvent, h: ChildHandle) => void): ChildHandle {
  const child = spawn(process.execPath, ['--import', 'tsx', script(kind), JSON.stringify(config)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  live.add(child);
  const events: ChildEvent[] = [];
  const stderrTail: string[] = [];
  let code: number | string | undefined;
  let lastProgress: ChildEvent | undefined;
  let forced = false;
  let exitedAt: number | undefined;
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (c, signal) => {
      code = c ?? signal ?? -1;
      exitedAt = Date.now();
      live.delete(child);
      resolve(code);
    });
  });
  const handle: ChildHandle = {
    name,
    pid: child.pid ?? -1,
    events,
    exited,
    get lastProgress() {
      return lastProgress;
    },
    get running() {
      return code === undefined;
    },
    get forced() {
      return forced;
    },
    get exitedAt() {
      return exitedAt;
    },
    kill(signal) {
      if (code === undefined) child.kill(signal);
    },
    async waitFor(match, timeoutMs) {
      let found: ChildEvent | undefined;
      await waitAtMost(() => (found = events.find(match)) !== undefined || code !== undefined, timeoutMs, 10);
      return found ?? events.find(match);
    },
    async stop(timeoutMs = 15_000) {
      if (code !== undefined) return;
      child.kill('SIGCONT');
      child.kill('SIGTERM');
      if (!(await waitAtMost(() => code !== undefined, timeoutMs, 20))) {
        progress(`${name} did not stop within ${timeoutMs} ms: killing it`);
        forced = true;
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let e: ChildEvent;
    try {
      e = { ...(JSON.parse(line) as { ev: string }), at: Date.now() };
    } catch {
      e = { ev: 'text', text: line, at: Date.now() };
    }
    if (e.ev === 'progress') lastProgress = e;
    else events.push(e);
    if (e.ev === 'crash') progress(`${name} crashed: ${String(e.error)}`);
    onEvent?.(e, handle);
  });
  createInterface({ input: child.stderr! }).on('line', (line) => {
    stderrTail.push(line);
    if (stderrTail.length > 20) stderrTail.shift();
    if (process.env.TXBOX_FAULTS_VERBOSE) progress(`${name}: ${line}`);
  });
  void exited.then((c) => {
    if (c !== 0 && c !== 'SIGKILL' && c !== 'SIGTERM' && stderrTail.length > 0) progress(`${name} exited with ${c}:\n  ${stderrTail.join('\n  ')}`);
  });
  return handle;
}
