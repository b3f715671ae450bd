import { z } from 'zod';

/**
 * The `transport` entry of an outbox in the daemon's configuration: one strict object per kind
 * of broker, told apart by `type`. Options the file cannot hold (functions of the message) have
 * a declarative stand-in: a prefix put before the message's topic.
 */
const int = (min: number, max: number) => z.number().int().min(min).max(max);
const publish = { publishTimeoutMs: int(1, 600_000).optional(), maxInFlight: int(1, 10_000).optional() };
const url = (schemes: readonly string[]) =>
  z.string().refine((u) => schemes.some((s) => u.startsWith(`${s}://`)) && URL.canParse(u), `must be a URL starting with ${schemes.map((s) => `${s}://`).join(' or ')}`);

const rabbitmq = z.strictObject({
  type: z.literal('rabbitmq'),
  /** amqp://user:pass@host:5672/vhost */
  url: z.string().min(1),
  /** '' (the default exchange) routes by queue name: the message's topic. */
  exchange: z.string().default(''),
  persistent: z.boolean().optional(),
  ...publish,
});

const http = z.strictObject({
  type: z.literal('http'),
  url: z.string().url(),
  secret: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)], { error: 'must be a secret (a non-empty string) or a non-empty list of them' }),
  headers: z.record(z.string(), z.string()).optional(),
  bodyEncoding: z.enum(['raw', 'base64']).optional(),
  ...publish,
});

// NATS subject tokens are separated by dots and may hold no space; `*` and `>` are wildcards, which a publish cannot use.
const natsPrefix = z.string().regex(/^[^\s*>]*$/, 'must hold no space and no wildcard (* or >)');

const nats = z
  .strictObject({
    type: z.literal('nats'),
    /** `nats://host:4222` or `host:4222`, or several servers of one cluster. */
    servers: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)], { error: 'must be a server (host:4222 or nats://host:4222) or a non-empty list of them' }),
    user: z.string().min(1).optional(),
    pass: z.string().optional(),
    token: z.string().min(1).optional(),
    /** Put before the topic to make the subject (`events.` publishes `orders` on `events.orders`). Default none. */
    subjectPrefix: natsPrefix.default(''),
    ...publish,
  })
  .superRefine((t, ctx) => {
    if ((t.user === undefined) !== (t.pass === undefined)) ctx.addIssue({ code: 'custom', path: [t.user === undefined ? 'user' : 'pass'], message: 'user and pass go together' });
    if (t.token !== undefined && t.user !== undefined) ctx.addIssue({ code: 'custom', path: ['token'], message: 'give a token or a user and pass, not both' });
  });

const redis = z.strictObject({
  type: z.literal('redis'),
  /** redis://[:password@]host:6379[/db], or rediss:// for TLS. */
  url: url(['redis', 'rediss']),
  /** Put before the topic to make the stream key. Default none: the stream is the topic. */
  streamPrefix: z.string().default(''),
  /** Trim each stream to about this many entries (`MAXLEN ~`). Default: no trimming. */
  maxLen: int(1, Number.MAX_SAFE_INTEGER).optional(),
  publishTimeoutMs: publish.publishTimeoutMs,
});

// MQTT topic levels are separated by '/'; '+' and '#' are wildcards, which a publish cannot use.
const mqttPrefix = z.string().regex(/^[^+#\u0000]*$/, 'must hold no wildcard (+ or #)');

const mqtt = z.strictObject({
  type: z.literal('mqtt'),
  /** mqtt://host:1883, mqtts://, ws:// or wss://. */
  url: url(['mqtt', 'mqtts', 'ws', 'wss']),
  username: z.string().min(1).optional(),
  password: z.string().optional(),
  clientId: z.string().min(1).max(256).optional(),
  /** 5 (default) carries the message id, key and headers as user properties; 4 (MQTT 3.1.1) only the payload. */
  protocolVersion: z.union([z.literal(4), z.literal(5)], { error: 'must be 4 (MQTT 3.1.1) or 5' }).default(5),
  /** 1 or 2: QoS 0 has no acknowledgement, so it cannot be reported as published. */
  qos: z.union([z.literal(1), z.literal(2)], { error: 'must be 1 or 2 (QoS 0 has no acknowledgement)' }).optional(),
  /** Put before the topic to make the MQTT topic (`app/` publishes `orders` on `app/orders`). Default none. */
  topicPrefix: mqttPrefix.default(''),
  ...publish,
});

const module = z.strictObject({
  type: z.literal('module'),
  /** A module (path relative to the configuration file) whose export is a producer. */
  path: z.string().min(1),
  /** The export holding the producer. Default `default`. */
  export: z.string().min(1).default('default'),
});

export const transportSchema = z.discriminatedUnion('type', [rabbitmq, http, nats, redis, mqtt, module]);

export type TransportConfig = z.infer<typeof transportSchema>;
/** The entry of one `type`. */
export type TransportOf<K extends TransportConfig['type']> = Extract<TransportConfig, { type: K }>;
