import type { ScenarioRow } from '../report.js';
import type { OwnMariadb } from '../servers/mariadb.js';
import type { OwnPostgres } from '../servers/postgres.js';
import type { StoreKind } from '../processes/config.js';
import type { BrokerKind } from '../servers/brokers.js';

export type Tier = 'smoke' | 'full';

/** What every scenario gets from the harness: the tier, servers of its own, temp directories. */
export interface ScenarioContext {
  readonly tier: Tier;
  /** The harness's own PostgreSQL (started once, shared by scenarios that run one after another). */
  postgres(): Promise<OwnPostgres>;
  /** The harness's own MariaDB, for the MySQL store. */
  mariadb(): Promise<OwnMariadb>;
  /** Servers of their own with production durability (PostgreSQL fsync and synchronous commit on; MariaDB's defaults). */
  durablePostgres(): Promise<OwnPostgres>;
  durableMariadb(): Promise<OwnMariadb>;
  /** A new temp directory, removed with the world that uses it. */
  dir(label: string): string;
  /** Stores this run covers (narrowed with --store). */
  readonly stores: readonly StoreKind[];
  /** Brokers the broker scenarios cover (narrowed with --broker). */
  readonly brokers: readonly BrokerKind[];
  /** Multiplies trial counts and durations (--scale). */
  readonly scale: number;
}

export interface Scenario {
  readonly name: string;
  /** One sentence for the report: the fault and the promise it checks. */
  readonly summary: string;
  readonly tiers: readonly Tier[];
  run(ctx: ScenarioContext): Promise<ScenarioRow[]>;
}

/** Picks the smoke or the full value. */
export const bySize = <T>(ctx: ScenarioContext, smoke: T, full: T): T => (ctx.tier === 'smoke' ? smoke : full);

/** A count scaled by --scale, at least 1. */
export const scaled = (ctx: ScenarioContext, n: number) => Math.max(1, Math.round(n * ctx.scale));
