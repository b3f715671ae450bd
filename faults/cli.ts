import { parseArgs } from 'node:util';
import type { StoreKind } from './processes/config.js';
import type { Tier } from './scenarios/types.js';
import type { BrokerKind } from './servers/brokers.js';

const ALL_BROKERS: readonly BrokerKind[] = ['rabbitmq', 'nats', 'redis', 'mqtt'];

export interface CliOptions {
  tier: Tier;
  json: boolean;
  out: string;
  only: readonly string[];
  stores: readonly StoreKind[];
  /** Brokers of the broker scenarios (narrowed with --broker). */
  brokers: readonly BrokerKind[];
  scale: number;
  keepGoing: boolean;
}

export const ALL_STORES: readonly StoreKind[] = ['postgres-lock', 'postgres-lease', 'sqlite', 'mysql'];
/**
 * Stores only some scenarios add by themselves (MariaDB lock mode: see blocked-heads.ts; PGlite,
 * in-process, rides with postgres-lease: see pglite-webhooks.ts); --store accepts them.
 */
export const EXTRA_STORES: readonly StoreKind[] = ['mysql-lock', 'pglite'];

const HELP = `Usage: npm run faults -- [options]

Runs the fault-injection scenarios against servers the harness starts itself (its own
PostgreSQL, MariaDB and brokers, on spare ports, in temp directories) and prints one table per
scenario. Progress goes to stderr.

  --smoke            the CI tier: a few trials of the main scenarios (a few minutes)
  --full             every scenario with its full trial count (default)
  --json             print the JSON report on stdout instead of the tables
  --out <file>       where the JSON report is written (default .faults/<tier>.json)
  --only <text>      run only scenarios whose name contains this text (repeatable)
  --store <kind>     run only on this store (repeatable): ${[...ALL_STORES, ...EXTRA_STORES].join(', ')}
  --broker <kind>    run the broker scenarios only with this broker (repeatable): ${ALL_BROKERS.join(', ')}
  --scale <x>        multiply trial counts and durations (default 1)
  --help             this text
`;

export function parseCli(argv: readonly string[]): CliOptions | undefined {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      smoke: { type: 'boolean', default: false },
      full: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      out: { type: 'string' },
      only: { type: 'string', multiple: true },
      store: { type: 'string', multiple: true },
      broker: { type: 'string', multiple: true },
      scale: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return undefined;
  }
  if (values.smoke && values.full) throw new Error('choose --smoke or --full, not both');
  const tier: Tier = values.smoke ? 'smoke' : 'full';
  const stores = (values.store ?? ALL_STORES) as StoreKind[];
  const known = [...ALL_STORES, ...EXTRA_STORES];
  for (const s of stores) if (!known.includes(s)) throw new Error(`--store ${s}: expected one of ${known.join(', ')}`);
  const brokers = (values.broker ?? ALL_BROKERS) as BrokerKind[];
  for (const b of brokers) if (!ALL_BROKERS.includes(b)) throw new Error(`--broker ${b}: expected one of ${ALL_BROKERS.join(', ')}`);
  const scale = values.scale === undefined ? 1 : Number(values.scale);
  if (!(Number.isFinite(scale) && scale > 0 && scale <= 100)) throw new Error(`--scale ${values.scale}: expected a number above 0 and at most 100`);
  return {
    tier,
    json: values.json,
    out: values.out ?? `.faults/${tier}.json`,
    only: values.only ?? [],
    stores,
    brokers,
    scale,
    keepGoing: true,
  };
}
