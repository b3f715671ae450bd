/** What a process hook learns about one message a consumer is about to handle. */
export interface ProcessInfo {
  /** Where it came from: 'rabbitmq', 'nats', 'redis', 'mqtt', 'http', or 'txbox' for in-process consumers. */
  readonly system: string;
  /** What the consumer reads, when the helper knows: a queue, consumer group, topic filter, or an in-process consumer's name. */
  readonly subscription?: string;
  readonly message: { readonly id: string; readonly topic: string; readonly headers: Readonly<Record<string, string>> };
  /** 1 on the first try, when the consumer counts tries (in-process consumers do). */
  readonly attempt?: number;
  /** Tries before the message is given up, when the consumer counts them. */
  readonly maxAttempts?: number;
}

/**
 * Wraps each handler call of a consumer (`instrument` option): an OpenTelemetry process span that
 * continues the message's trace context, metrics... It must call `run` once and settle as it does:
 * resolve with its value, or rethrow what it threw.
 */
export type ProcessHook = <T>(info: ProcessInfo, run: () => Promise<T>) => Promise<T>;

/** Calls `run` through the hook when there is one. */
export function throughHook<T>(hook: ProcessHook | undefined, info: () => ProcessInfo, run: () => Promise<T>): Promise<T> {
  return hook ? hook(info(), run) : run();
}
