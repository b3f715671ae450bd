import type { DashboardStore, RelayLike, SchedulesLike } from './types.js';

export interface DashboardOutbox {
  /** Shown in the page and its address; unique among the outboxes. */
  readonly name: string;
  readonly store: DashboardStore;
  /** Its relay in this process, to show whether it runs. */
  readonly relay?: RelayLike;
  /** The schedules table of `txbox/consumers`, to show next runs. */
  readonly schedules?: SchedulesLike;
}

export type DashboardAuth = { readonly token: string } | { readonly basic: { readonly user: string; readonly password: string } };

export interface DashboardOptions {
  readonly outboxes: readonly DashboardOutbox[];
  /** Required: a bearer token (a login form sets a session cookie), or HTTP basic auth. */
  readonly auth: DashboardAuth;
  /** Hides redrive and discard, and refuses every POST but login. Default false. */
  readonly readOnly?: boolean;
  /** Where the dashboard is mounted, e.g. `/txbox`. Default `/`. */
  readonly basePath?: string;
  /** How often the sampler records backlog and throughput. Default 10 000 ms; the chart keeps one hour. */
  readonly sampleIntervalMs?: number;
}

export interface ResolvedDashboardOptions {
  outboxes: readonly DashboardOutbox[];
  auth: DashboardAuth;
  readOnly: boolean;
  /** Without a trailing slash ('' at the root). */
  basePath: string;
  sampleIntervalMs: number;
}

/** The dashboard's typed error: same shape as txbox's TxboxError (`code`, `field`, `value`). */
export class DashboardError extends Error {
  readonly code = 'INVALID_OPTION';
  constructor(readonly field: string, readonly value: unknown, expectation: string) {
    super(`option ${field} ${expectation}`);
    this.name = 'TxboxError';
  }
}

const KNOWN = ['outboxes', 'auth', 'readOnly', 'basePath', 'sampleIntervalMs'];
const NAME = /^[A-Za-z0-9_.:-]{1,100}$/;

export function resolveDashboardOptions(o: DashboardOptions): ResolvedDashboardOptions {
  if (!o || typeof o !== 'object') throw new DashboardError('options', o, 'must be an object');
  for (const key of Object.keys(o)) if (!KNOWN.includes(key)) throw new DashboardError(key, (o as unknown as Record<string, unknown>)[key], `is not a known option (${KNOWN.join(', ')})`);
  if (!Array.isArray(o.outboxes) || o.outboxes.length === 0) throw new DashboardError('outboxes', o.outboxes, 'must be a non-empty array of { name, store }');
  const names = new Set<string>();
  o.outboxes.forEach((ob, i) => {
    if (typeof ob?.name !== 'string' || !NAME.test(ob.name)) throw new DashboardError(`outboxes[${i}].name`, ob?.name, 'must be 1-100 letters, digits or _ . : -');
    if (names.has(ob.name)) throw new DashboardError(`outboxes[${i}].name`, ob.name, 'must be unique');
    names.add(ob.name);
    if (!ob.store || typeof ob.store.requeueDeadLetters !== 'function') throw new DashboardError(`outboxes[${i}].store`, ob.store, 'must be a txbox store');
    if (!ob.store.query) throw new DashboardError(`outboxes[${i}].store`, ob.store.key?.kind, 'must offer store.query (every built-in store does)');
  });
  const auth = checkAuth(o.auth);
  if (o.readOnly !== undefined && typeof o.readOnly !== 'boolean') throw new DashboardError('readOnly', o.readOnly, 'must be a boolean');
  const basePath = (o.basePath ?? '/').replace(/\/+$/, '');
  if (basePath !== '' && !/^(\/[A-Za-z0-9_.~-]+)+$/.test(basePath)) throw new DashboardError('basePath', o.basePath, "must be a path such as '/txbox'");
  const sampleIntervalMs = o.sampleIntervalMs ?? 10_000;
  if (!(Number.isInteger(sampleIntervalMs) && sampleIntervalMs >= 100)) throw new DashboardError('sampleIntervalMs', sampleIntervalMs, 'must be an integer >= 100');
  return { outboxes: o.outboxes, auth, readOnly: o.readOnly ?? false, basePath, sampleIntervalMs };
}

function checkAuth(auth: DashboardAuth): DashboardAuth {
  if (auth && 'token' in auth) {
    if (typeof auth.token !== 'string' || auth.token.length < 16) throw new DashboardError('auth.token', '(hidden)', 'must be a string of at least 16 characters');
    return auth;
  }
  if (auth && 'basic' in auth) {
    const b = auth.basic;
    if (typeof b?.user !== 'string' || b.user.length === 0 || b.user.includes(':')) throw new DashboardError('auth.basic.user', b?.user, 'must be a non-empty string without ":"');
    if (typeof b.password !== 'string' || b.password.length < 8) throw new DashboardError('auth.basic.password', '(hidden)', 'must be a string of at least 8 characters');
    return auth;
  }
  throw new DashboardError('auth', auth, 'must be { token } or { basic: { user, password } }: the dashboard is never open');
}
