import { writeSync } from 'node:fs';

/**
 * Children report to the harness with one JSON object per line on stdout. The write is
 * synchronous, so a line written just before a failpoint kills the process is never lost.
 */
export function emit(event: Record<string, unknown> & { ev: string }): void {
  writeSync(1, `${JSON.stringify(event)}\n`);
}
