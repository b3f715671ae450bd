import { invalidOption } from './errors.js';
import { rejectUnknownOptions } from './option-keys.js';

export interface BackoffOptions {
  /** Delay after the first failure. */
  initialMs?: number;
  /** Upper bound of the delay. */
  maxMs?: number;
  /** Growth per failure. */
  multiplier?: number;
  /** Fraction of the delay that is randomised (0 = none, 1 = full jitter). */
  jitter?: number;
}

export type Backoff = Required<BackoffOptions>;

export function resolveBackoff(field: string, given: BackoffOptions | undefined, defaults: Backoff): Backoff {
  rejectUnknownOptions<BackoffOptions>(given, { initialMs: true, maxMs: true, multiplier: true, jitter: true }, field);
  const b = { ...defaults, ...given };
  if (!(Number.isFinite(b.initialMs) && b.initialMs >= 0)) throw invalidOption(`${field}.initialMs`, b.initialMs, 'must be a finite number >= 0');
  if (!(Number.isFinite(b.maxMs) && b.maxMs >= b.initialMs)) throw invalidOption(`${field}.maxMs`, b.maxMs, `must be a finite number >= initialMs (${b.initialMs})`);
  if (!(Number.isFinite(b.multiplier) && b.multiplier >= 1)) throw invalidOption(`${field}.multiplier`, b.multiplier, 'must be a number >= 1');
  if (!(b.jitter >= 0 && b.jitter <= 1)) throw invalidOption(`${field}.jitter`, b.jitter, 'must be between 0 and 1');
  return b;
}

/** Delay before retry number `failures` (1 = after the first failure): exponential, capped, jittered. */
export function backoffDelay(b: Backoff, failures: number, random: () => number = Math.random): number {
  const exponent = Math.max(0, failures - 1);
  const base = Math.min(b.maxMs, b.initialMs * b.multiplier ** Math.min(exponent, 64));
  return Math.round(base * (1 - b.jitter * random()));
}
