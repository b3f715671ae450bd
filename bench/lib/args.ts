import { parseArgs } from 'node:util';

export const WORKLOADS = ['write', 'adapters', 'wake', 'drain', 'failures', 'claim', 'latency', 'broker', 'peers', 'sqlite', 'mariadb', 'otel', 'scale'] as const;
export type Workload = (typeof WORKLOADS)[number];

/** Every size and duration of one run, resolved from the command line. */
export interface BenchConfig {
  json: boolean;
  quick: boolean;
  only: ReadonlySet<Workload>;
  /** Pending messages drained by the drain, broker and peer workloads. */
  messages: number;
  /** Business transactions per write variant. */
  writeTx: number;
  /** Business transactions per variant, stack and round of the adapters workload. */
  adapterTx: number;
  /** Concurrent writer connections. */
  writers: number;
  /** Repetitions of the throughput workloads; the best of them is reported. */
  rounds: number;
  /** Repetitions of the short workloads (write, drain, broker), where more rounds cost little. */
  shortRounds: number;
  latencyRate: number;
  latencyMs: number;
  /** Longest a peer may take to drain before its rate is taken from what it did drain. */
  peerDrainBudgetMs: number;
  peerMessages: number;
  peerWriteTx: number;
  peerLatencyMs: number;
  scaleSizes: readonly number[];
}

/** A command line the benchmark cannot run: the caller prints the message and the usage, and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export const HELP = `Usage: npm run bench -- [options]

  --json             print one JSON object on stdout (progress stays on stderr)
  --quick            tiny sizes, for a smoke test (about a minute)
  --only <name>      run only this workload (repeatable): ${WORKLOADS.join(', ')}
  --messages <n>     pending messages per drain (default 20000, quick 2000)
  --rounds <n>       repetitions of each throughput workload (default 3, quick 1; write, adapters, drain and broker run 4 more)
  --help             this text
`;

const OPTIONS = {
  json: { type: 'boolean', default: false },
  quick: { type: 'boolean', default: false },
  only: { type: 'string', multiple: true },
  messages: { type: 'string' },
  rounds: { type: 'string' },
  help: { type: 'boolean', default: false },
} as const;

/** node:util's parseArgs, with its errors (unknown flag, missing value) turned into a UsageError. */
function parseFlags(argv: readonly string[]) {
  try {
    return parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_')) throw new UsageError((error as Error).message, { cause: error });
    throw error;
  }
}

export function parseConfig(argv: readonly string[]): BenchConfig | undefined {
  const { values } = parseFlags(argv);
  if (values.help) {
    process.stderr.write(HELP);
    return undefined;
  }
  const only = new Set<Workload>();
  for (const name of values.only ?? []) {
    for (const part of name.split(',')) {
      if (!(WORKLOADS as readonly string[]).includes(part)) throw new UsageError(`--only: unknown workload '${part}' (${WORKLOADS.join(', ')})`);
      only.add(part as Workload);
    }
  }
  const quick = values.quick ?? false;
  const messages = positiveInt('--messages', values.messages, quick ? 2000 : 20_000);
  const rounds = positiveInt('--rounds', values.rounds, quick ? 1 : 3);
  return {
    json: values.json ?? false,
    quick,
    only: only.size > 0 ? only : new Set(WORKLOADS),
    messages,
    writeTx: quick ? 300 : 15_000,
    adapterTx: quick ? 50 : 3000,
    writers: 8,
    rounds,
    shortRounds: quick ? rounds : rounds + 4,
    latencyRate: 200,
    latencyMs: quick ? 1000 : 20_000,
    peerDrainBudgetMs: quick ? 2000 : 20_000,
    peerMessages: quick ? 500 : messages,
    peerWriteTx: quick ? 200 : 5000,
    peerLatencyMs: quick ? 1000 : 10_000,
    scaleSizes: quick ? [1000, 4000] : [10_000, 100_000, 1_000_000],
  };
}

function positiveInt(flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a positive integer, got '${raw}'`);
  return n;
}
