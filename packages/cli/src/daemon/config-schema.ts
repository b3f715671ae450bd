import { z } from 'zod';
import { dashboardSchema } from './dashboard-schema.js';
import { transportSchema } from './transport-schema.js';

/**
 * The relay daemon's configuration file. Every object is strict: an unknown (misspelt) key is an
 * error naming its path, never silently ignored.
 */
const int = (min: number, max: number) => z.number().int().min(min).max(max);
const name = z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, 'must be 1 to 100 letters, digits, _ . or -');

const relay = z.strictObject({
  batchSize: int(1, 10_000).optional(),
  concurrency: int(1, 64).optional(),
  pollIntervalMs: int(1, 3_600_000).optional(),
  produceTimeoutMs: int(1, 3_600_000).optional(),
  maxAttempts: int(1, 1_000_000).optional(),
  drainUntilEmpty: z.boolean().optional(),
});

const outbox = z.strictObject({
  name,
  store: z.strictObject({
    /** postgres://, mysql://, sqlite://<file> or a file path. */
    url: z.string().min(1),
    table: z.string().optional(),
    schema: z.string().optional(),
    /** Any other option of the store's factory (claimMode, completion, claimTimeoutMs, columns...). */
    options: z.record(z.string(), z.unknown()).optional(),
  }),
  transport: transportSchema,
  relay: relay.optional(),
  /** Run the store's migrate() when the outbox starts. Default false: migrate from CI instead. */
  migrate: z.boolean().default(false),
});

export const configSchema = z
  .strictObject({
    http: z.strictObject({ port: int(0, 65_535).default(9464), host: z.string().min(1).default('0.0.0.0') }).default({ port: 9464, host: '0.0.0.0' }),
    /** Longest a SIGTERM/SIGINT waits for in-flight batches to be acknowledged. */
    shutdownTimeoutMs: int(1, 3_600_000).default(30_000),
    /** The dashboard on the same port; absent: none. */
    dashboard: dashboardSchema.optional(),
    outboxes: z.array(outbox),
  })
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.outboxes.forEach((o, i) => {
      if (seen.has(o.name)) ctx.addIssue({ code: 'custom', path: ['outboxes', i, 'name'], message: `${JSON.stringify(o.name)} names two outboxes` });
      seen.add(o.name);
    });
  });

export type DaemonConfig = z.infer<typeof configSchema>;
export type OutboxConfig = DaemonConfig['outboxes'][number];
