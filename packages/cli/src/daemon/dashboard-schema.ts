import { z } from 'zod';

/**
 * The `dashboard` section: the txbox dashboard served on the daemon's HTTP port, beside
 * /healthz, /readyz and /metrics. It is never open: a bearer token (a login form sets a session
 * cookie) or HTTP basic auth, whose secrets come from the environment (`${TXBOX_DASHBOARD_TOKEN}`).
 */
const PROBES = ['/healthz', '/readyz', '/metrics'];

const auth = z
  .strictObject({
    token: z.string().min(16, 'must be at least 16 characters').optional(),
    basic: z
      .strictObject({
        user: z.string().min(1).regex(/^[^:]*$/, 'must not contain ":"'),
        password: z.string().min(8, 'must be at least 8 characters'),
      })
      .optional(),
  })
  .superRefine((a, ctx) => {
    if ((a.token === undefined) === (a.basic === undefined)) ctx.addIssue({ code: 'custom', path: [], message: 'give exactly one of token or basic: { user, password } (the dashboard is never open)' });
  });

export const dashboardSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** Where it is mounted. Default `/dashboard`. */
  path: z
    .string()
    .regex(/^(\/[A-Za-z0-9_.~-]+)+$/, 'must be a path such as /dashboard')
    .refine((p) => !PROBES.some((probe) => p === probe || p.startsWith(`${probe}/`)), `must not be under ${PROBES.join(', ')}`)
    .default('/dashboard'),
  auth,
  /** Hides redrive and discard, and refuses every POST but login. Default false. */
  readOnly: z.boolean().default(false),
  /** How often backlog and throughput are sampled for the charts. Default 10 000 ms. */
  sampleIntervalMs: z.number().int().min(100).max(3_600_000).optional(),
});

export type DashboardConfig = z.infer<typeof dashboardSchema>;
