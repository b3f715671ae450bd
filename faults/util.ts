export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Waits until `check()` holds, or throws after `timeoutMs`: no phase of the harness may hang. */
export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string, stepMs = 25): Promise<void> {
  if (!(await waitAtMost(check, timeoutMs, stepMs))) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** Like waitUntil, but answers false instead of throwing. */
export async function waitAtMost(check: () => boolean | Promise<boolean>, timeoutMs: number, stepMs = 25): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await sleep(stepMs);
  }
}

/** Rejects when `promise` takes longer than `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

let counter = 0;
/** A name no other run on this machine uses: for tables and temp files. */
export const uniqueName = (prefix: string) => `${prefix}_${process.pid}_${(counter++).toString(36)}${Math.random().toString(36).slice(2, 6)}`;

/** Deterministic pseudo-random numbers (mulberry32), so a failing trial can be rerun with its seed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));
