const started = performance.now();

/** Progress goes to stderr, so `--json` keeps stdout to one JSON document. */
export function progress(message: string): void {
  const s = ((performance.now() - started) / 1000).toFixed(1).padStart(6);
  process.stderr.write(`[faults ${s}s] ${message}\n`);
}

export const elapsedMs = () => performance.now() - started;
