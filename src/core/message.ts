import { invalidArgument } from './errors.js';
import { isUuid, uuidv7 } from './ids.js';

/**
 * The propagation fields of the producing span, stored as headers of the message: W3C
 * `traceparent` / `tracestate`, and whatever else the application's propagator writes (`baggage`,
 * `b3`...). Headers the message sets itself win.
 */
export interface TraceContext {
  traceparent?: string;
  tracestate?: string;
  readonly [field: string]: string | undefined;
}

/** What an application passes to `send()`. */
export interface MessageInput {
  /** Writer-chosen UUID (v7 recommended); generated when absent. Travels to brokers as their message id. */
  id?: string;
  topic: string;
  /** Any JSON value, or bytes (`Uint8Array`/`Buffer`) sent as they are. */
  payload: unknown;
  /** Defaults to `application/json`, or `application/octet-stream` for bytes. */
  contentType?: string;
  /** Messages with the same key are delivered in position (insert) order, which is commit order when writers of the key are serialised; keyless messages may go in parallel. */
  key?: string | null;
  headers?: Readonly<Record<string, string>>;
  /** Not delivered before this instant. */
  availableAt?: Date;
  /** Not delivered before this many milliseconds after the write (database time). */
  delayMs?: number;
  /** While a pending message has this dedup key, another one with it is not stored. */
  dedupKey?: string | null;
  /** Trace context of the producing span; by default the outbox's `traceContext` hook supplies it. */
  traceContext?: TraceContext;
}

/** A message validated and encoded for storage: what stores write. */
export interface EncodedMessage {
  readonly id: string;
  readonly topic: string;
  readonly key: string | null;
  readonly payload: Uint8Array;
  readonly contentType: string;
  readonly headers: Readonly<Record<string, string>> | null;
  readonly availableAt: Date | null;
  readonly delayMs: number;
  readonly dedupKey: string | null;
}

/** A stored message as the relay hands it to a producer. */
export interface OutboxMessage {
  readonly id: string;
  readonly topic: string;
  readonly key: string | null;
  readonly payload: Uint8Array;
  readonly contentType: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly createdAt: Date;
  readonly availableAt: Date;
  /** Failed attempts so far (0 on the first delivery). */
  readonly attempts: number;
  readonly dedupKey: string | null;
}

export const LIMITS = { topic: 255, key: 255, dedupKey: 255, contentType: 255 } as const;
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
const JSON_TYPE = 'application/json';
const BYTES_TYPE = 'application/octet-stream';

export type TraceContextSource = () => TraceContext | undefined;

/**
 * Validates every message before any is written, so a bad one rejects the whole call with an
 * error naming the field (`messages[3].topic`) and nothing reaches the database.
 */
export function encodeMessages(
  input: MessageInput | readonly MessageInput[],
  traceSource?: TraceContextSource,
  nowMs: number = Date.now(),
): EncodedMessage[] {
  const list: readonly unknown[] = Array.isArray(input) ? input : [input];
  // One naming rule whether one message or a list was given: `messages[0].topic`.
  const prefix = (i: number) => `messages[${i}]`;
  if (list.length === 0) throw invalidArgument('messages', input, 'must hold at least one message');
  // Asked only when a message will use it: an instrumented outbox stamps every message itself.
  const trace = traceSource !== undefined && list.some(lacksTraceContext) ? traceSource() : undefined;
  const encoded = list.map((m, i) => encodeOne(m, prefix(i), trace, nowMs));
  const seen = new Set<string>();
  encoded.forEach((m, i) => {
    if (seen.has(m.id)) throw invalidArgument(`${prefix(i)}.id`, m.id, 'must be unique within the call');
    seen.add(m.id);
  });
  return encoded;
}

function lacksTraceContext(m: unknown): boolean {
  return (m as MessageInput | null)?.traceContext === undefined;
}

function encodeOne(raw: unknown, at: string, trace: TraceContext | undefined, nowMs: number): EncodedMessage {
  if (raw === null || typeof raw !== 'object') throw invalidArgument(at, raw, 'must be an object');
  const m = raw as MessageInput;
  const id = m.id === undefined ? uuidv7(nowMs) : m.id.toLowerCase?.();
  if (!isUuid(id)) throw invalidArgument(`${at}.id`, m.id, 'must be a UUID (v7 recommended)');
  checkText(`${at}.topic`, m.topic, LIMITS.topic, false);
  checkText(`${at}.key`, m.key, LIMITS.key, true);
  checkText(`${at}.dedupKey`, m.dedupKey, LIMITS.dedupKey, true);
  checkText(`${at}.contentType`, m.contentType, LIMITS.contentType, true);
  const { payload, contentType } = encodePayload(`${at}.payload`, m.payload, m.contentType);
  return {
    id,
    topic: m.topic,
    key: m.key ?? null,
    payload,
    contentType,
    headers: encodeHeaders(at, m.headers, m.traceContext ?? trace),
    ...encodeAvailability(at, m.availableAt, m.delayMs, nowMs),
    dedupKey: m.dedupKey ?? null,
  };
}

function checkText(field: string, value: unknown, max: number, optional: boolean): void {
  if (optional && (value === undefined || value === null)) return;
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw invalidArgument(field, value, `must be a non-empty string of at most ${max} characters`);
  }
  checkNoNul(field, value);
}

/**
 * PostgreSQL text cannot hold U+0000 (the driver's error would abort the caller's transaction),
 * and brokers' header fields often cannot either: refused in every store alike.
 */
function checkNoNul(field: string, value: string): void {
  if (value.includes('\0')) throw invalidArgument(field, value, 'must not contain the NUL character (U+0000)');
}

function encodePayload(field: string, payload: unknown, contentType: string | undefined) {
  if (payload instanceof Uint8Array) return { payload, contentType: contentType ?? BYTES_TYPE };
  if (payload === undefined) throw invalidArgument(field, payload, 'must be a JSON value or bytes');
  let text: string | undefined;
  try {
    text = JSON.stringify(payload);
  } catch (cause) {
    throw invalidArgument(field, payload, `must be JSON-serializable (${(cause as Error).message})`);
  }
  if (text === undefined) throw invalidArgument(field, payload, 'must be a JSON value or bytes');
  return { payload: Buffer.from(text), contentType: contentType ?? JSON_TYPE };
}

function encodeHeaders(at: string, headers: MessageInput['headers'], trace: TraceContext | undefined) {
  if (headers !== undefined && (headers === null || typeof headers !== 'object' || Array.isArray(headers))) {
    throw invalidArgument(`${at}.headers`, headers, 'must be an object of string values');
  }
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (name.length === 0 || typeof value !== 'string') {
      throw invalidArgument(`${at}.headers.${name}`, value, 'must be a string under a non-empty name');
    }
    checkNoNul(`${at}.headers`, name);
    checkNoNul(`${at}.headers.${name}`, value);
    out[name] = value;
  }
  if (trace !== undefined) addTraceContext(`${at}.traceContext`, trace, out);
  return Object.keys(out).length === 0 ? null : out;
}

function addTraceContext(at: string, trace: TraceContext, out: Record<string, string>): void {
  if (trace === null || typeof trace !== 'object') throw invalidArgument(at, trace, 'must be an object of string values');
  for (const [name, value] of Object.entries(trace)) {
    if (value === undefined || value === '') continue;
    if (name.length === 0 || typeof value !== 'string') throw invalidArgument(`${at}.${name}`, value, 'must be a string under a non-empty name');
    if (name === 'traceparent' && !TRACEPARENT.test(value)) throw invalidArgument(`${at}.traceparent`, value, 'must be a W3C traceparent');
    checkNoNul(at, name);
    checkNoNul(`${at}.${name}`, value);
    out[name] ??= value;
  }
}

/** Every store can hold instants from the year 1 to 9999 (MySQL's DATETIME is the narrowest). */
const EARLIEST_MS = new Date('0001-01-01T00:00:00.000Z').getTime();
const LATEST_MS = new Date('9999-12-31T23:59:59.999Z').getTime();

function encodeAvailability(at: string, availableAt: unknown, delayMs: unknown, nowMs: number) {
  if (availableAt !== undefined && delayMs !== undefined) {
    throw invalidArgument(`${at}.delayMs`, delayMs, 'cannot be combined with availableAt');
  }
  if (availableAt !== undefined) {
    const t = availableAt instanceof Date ? availableAt.getTime() : NaN;
    if (!(t >= EARLIEST_MS && t <= LATEST_MS)) {
      throw invalidArgument(`${at}.availableAt`, availableAt, 'must be a valid Date between the years 1 and 9999');
    }
  }
  if (delayMs !== undefined && !(typeof delayMs === 'number' && Number.isFinite(delayMs) && delayMs >= 0)) {
    throw invalidArgument(`${at}.delayMs`, delayMs, 'must be a finite number >= 0');
  }
  if (typeof delayMs === 'number' && nowMs + delayMs > LATEST_MS) {
    throw invalidArgument(`${at}.delayMs`, delayMs, 'must end before the year 10000');
  }
  // Stores keep whole milliseconds (SQLite's columns are integers): a fraction rounds up, so a
  // message is never due before the delay asked for.
  return { availableAt: (availableAt as Date | undefined) ?? null, delayMs: Math.ceil((delayMs as number | undefined) ?? 0) };
}

/** Decodes a JSON payload (the default content type). */
export function parsePayload<T = unknown>(message: Pick<OutboxMessage, 'payload'>): T {
  return JSON.parse(Buffer.from(message.payload.buffer, message.payload.byteOffset, message.payload.byteLength).toString('utf8')) as T;
}

/**
 * Marks a stored message a store could not read in full (say, headers that are not a JSON object,
 * in a row written by hand). The relay dead-letters it with the reason instead of producing it, so
 * one bad row never blocks the outbox.
 */
const MALFORMED = Symbol('txbox.malformed');

export function markMalformed<M extends object>(message: M, reason: string): M {
  Object.defineProperty(message, MALFORMED, { value: reason, enumerable: false });
  return message;
}

export function malformedReason(message: object): string | undefined {
  return (message as { [MALFORMED]?: string })[MALFORMED];
}
