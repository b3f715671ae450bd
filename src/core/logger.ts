import type { Clock } from './clock.js';
import { errorText, logRecord, type LogLevel, type LogRecord } from './log-records.js';
import type { RelayEventListener } from './events.js';
import { FloodGate } from './flood-gate.js';

export type { LogLevel } from './log-records.js';

/**
 * Where the relay writes its log. Records are written as `logger.warn(fields, message)`: the
 * calling convention of pino and bunyan (fields stay structured and queryable, errors under
 * `err` get their serializer), which `console` also prints legibly. winston takes the message
 * first; wrap it: `{ warn: (fields, msg) => w.warn(msg, fields), ... }` (docs/relay.md).
 */
export interface Logger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/**
 * The default logger: one line per record on the console (stderr for warn and error), at `level`
 * and above (default info: failures, warnings and recoveries; no per-batch chatter). The console
 * is looked up at each write, so whatever replaced it later (a test, a log shipper) is used.
 */
export function consoleLogger(options: { level?: LogLevel } = {}): Logger {
  const min = ORDER[options.level ?? 'info'];
  const write = (level: LogLevel) => (fields: Record<string, unknown>, message: string) => {
    if (ORDER[level] < min) return;
    const { err, ...rest } = fields;
    const text = `[txbox] ${level.toUpperCase()} ${message}${err === undefined ? '' : `: ${errorText(err)}`} (${formatFields(rest)})`;
    console[level](text);
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

function formatFields(fields: Record<string, unknown>): string {
  return Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${formatValue(v)}`)
    .join(' ');
}

function formatValue(v: unknown): string {
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.length > 5 ? `${v.slice(0, 5).join(',')},…(${v.length})` : v.join(',');
  if (typeof v === 'string') return /[\s"=]/.test(v) ? JSON.stringify(v) : v;
  return String(v);
}

export interface LogListenerOptions {
  /** Identical failures: the first is written, then at most one line per this interval while they go on. */
  repeatIntervalMs: number;
  clock: Clock;
  /** The relay's name, on every record. */
  owner: string;
}

/**
 * The relay's log, as one more listener on its event stream. Warn and error records go through
 * a flood gate; when a condition recovers, its held-back repeats are forgotten (the recovery line
 * says how many there were), and when the relay stops, what is still held back is summarized.
 */
export function logListener(logger: Logger, o: LogListenerOptions): RelayEventListener {
  const gate = new FloodGate(o.repeatIntervalMs, () => o.clock.now());
  const write = (record: LogRecord, held = 0, sinceMs = 0) => {
    const fields = { ...record.fields, relay: o.owner, ...(held > 0 ? { repeated: held } : {}) };
    const message = held > 0 ? `${record.message} (${held} more like it in the last ${Math.round(sinceMs / 1000)} s)` : record.message;
    logger[record.level](fields, message);
  };
  return (event) => {
    const record = logRecord(event);
    if (event.type === 'recovered') gate.clear(`${event.condition}|`);
    if (event.type === 'relay.stopped') for (const h of gate.clear('')) write(h.record, h.held, h.sinceMs);
    if (record.signature === undefined) return write(record);
    const passage = gate.pass(record.signature, record);
    if (passage.write) write(record, passage.held, passage.sinceMs);
  };
}
