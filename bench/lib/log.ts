const started = performance.now();

/** Progress goes to stderr so `--json` keeps stdout to one JSON object. */
export function progress(message: string): void {
  const s = ((performance.now() - started) / 1000).toFixed(1).padStart(6);
  process.stderr.write(`[bench ${s}s] ${message}\n`);
}

export const elapsedSeconds = () => (performance.now() - started) / 1000;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Waits until `done()` is true, or rejects after `timeoutMs`: no benchmark phase may hang. */
export async function waitUntil(done: () => boolean, timeoutMs: number, what: string, stepMs = 2): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(stepMs);
  }
}

/** Like waitUntil, but returns false instead of throwing: for time-boxed peer runs. */
export async function waitAtMost(done: () => boolean, timeoutMs: number, stepMs = 5): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > deadline) return false;
    await sleep(stepMs);
  }
  return true;
}
