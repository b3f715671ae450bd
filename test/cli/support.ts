import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root: the CLI runs from its source there, as `npx txbox` would run the built bin. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = ['--conditions=txbox-source', '--import', 'tsx', 'packages/cli/src/main.ts'];

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `txbox <args>` to its end (killed after `timeoutMs`). */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface Daemon {
  readonly child: ChildProcess;
  /** Everything it wrote to stderr (its log) so far. */
  log(): string;
  /** Waits (bounded) for a log line matching `pattern`; returns the match. */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** The port of /healthz, /readyz, /metrics, once it listens. */
  port(): Promise<number>;
  /** Resolves to the exit code. */
  readonly exited: Promise<number | null>;
}

const daemons = new Set<ChildProcess>();

/** Starts `txbox relay --config <file>`; `killDaemons()` (in `after`) ends any still running. */
export function startDaemon(config: string, env: NodeJS.ProcessEnv = {}): Daemon {
  const child = spawn(process.execPath, [...CLI, 'relay', '--config', config], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  daemons.add(child);
  let log = '';
  child.stderr!.on('data', (d) => (log += d));
  child.stdout!.on('data', (d) => (log += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => {
    daemons.delete(child);
    resolve(code);
  }));
  const waitForLog = async (pattern: RegExp, timeoutMs = 20_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = log.match(pattern);
      if (match) return match;
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`daemon log never matched ${pattern}:\n${log}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  return {
    child,
    log: () => log,
    waitForLog,
    port: async () => Number((await waitForLog(/listening on [^\s]*:(\d+)/))[1]),
    exited,
  };
}

export function killDaemons(): void {
  for (const child of daemons) child.kill('SIGKILL');
}

export async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: await res.text() };
}

/**
 * The value of a Prometheus text sample: `name{labels}` matching every given label, summed over
 * the samples that match (a tiny parser of the exposition format: `name{a="b",...} value`).
 */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  let seen = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const found = Object.fromEntries([...(m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) {
      sum += Number(m[3]);
      seen = true;
    }
  }
  return seen ? sum : NaN;
}
