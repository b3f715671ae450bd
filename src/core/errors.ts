/**
 * Every error txbox raises is a TxboxError with a stable `code`, so callers can branch on the
 * kind of failure without parsing messages. Errors from drivers are wrapped (as `cause`), never
 * mutated.
 */
export type TxboxErrorCode =
  | 'INVALID_ARGUMENT'
  | 'INVALID_OPTION'
  | 'DUPLICATE_ID'
  | 'PAYLOAD_TOO_LARGE'
  | 'NOT_SUPPORTED'
  | 'PRODUCE_TIMEOUT'
  | 'INVALID_PRODUCE_RESULT'
  | 'PERMANENT_FAILURE'
  | 'PUBLISH_FAILED'
  | 'CLAIM_LOST'
  | 'SCHEMA_MISSING'
  | 'SCHEMA_TOO_NEW'
  | 'TRANSACTION_CONFLICT'
  | 'STORE_ERROR';

export interface TxboxErrorOptions {
  cause?: unknown;
  /** The option or message field at fault, e.g. `messages[2].topic` or `batchSize`. */
  field?: string;
  /** The offending value, as given. */
  value?: unknown;
}

/**
 * Marks every txbox error with the names of its classes. The ESM and CommonJS builds (and two
 * installed copies of txbox) each have their own classes, so a prototype check alone would make
 * `error instanceof TxboxError` false for an error raised by the other copy.
 */
const BRAND = Symbol.for('txbox.error.classes');

export class TxboxError extends Error {
  readonly code: TxboxErrorCode;
  readonly field: string | undefined;
  readonly value: unknown;

  constructor(code: TxboxErrorCode, message: string, options: TxboxErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TxboxError';
    this.code = code;
    this.field = options.field;
    this.value = options.value;
    Object.defineProperty(this, BRAND, { value: classNames(new.target) });
  }

  /** By prototype, or by brand for an error of another copy's class of the same name. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    const names = typeof value === 'object' && value !== null ? (value as { [BRAND]?: unknown })[BRAND] : undefined;
    return Array.isArray(names) && names.includes(this.name);
  }
}

/** `new.target` and its ancestors up to TxboxError, e.g. ['PermanentFailure', 'TxboxError']. */
function classNames(target: abstract new (...args: never[]) => unknown): readonly string[] {
  const names: string[] = [];
  for (let c: unknown = target; typeof c === 'function' && c !== Error; c = Object.getPrototypeOf(c)) names.push(c.name);
  return Object.freeze(names);
}

/** Bad input to `send()` or another call: nothing was written. */
export function invalidArgument(field: string, value: unknown, expectation: string): TxboxError {
  return new TxboxError('INVALID_ARGUMENT', `${field} ${expectation}, got ${describe(value)}`, { field, value });
}

/** Bad option given to a factory: raised before any I/O happens. */
export function invalidOption(field: string, value: unknown, expectation: string): TxboxError {
  return new TxboxError('INVALID_OPTION', `option ${field} ${expectation}, got ${describe(value)}`, { field, value });
}

/**
 * The store's table is not there: `migrate()` (or the DDL of `schemaSql()`) was not run against
 * this database or schema. Wraps the driver's "no such table" error.
 */
export function schemaMissing(what: string, cause: unknown): TxboxError {
  return new TxboxError(
    'SCHEMA_MISSING',
    `the ${what} table does not exist: run store.migrate() once, or apply store.schemaSql() with your migration tool (${errorMessage(cause)})`,
    { cause },
  );
}

/**
 * The database rolled the caller's whole transaction back to break a deadlock (MySQL/MariaDB
 * does this when concurrent deliveries of one message race after the first one rolled back).
 * Nothing of the transaction remains; running it again is safe and is what the caller should do.
 */
export function transactionConflict(cause: unknown): TxboxError {
  return new TxboxError('TRANSACTION_CONFLICT', `the database rolled the transaction back to break a deadlock; run the whole transaction again (${errorMessage(cause)})`, { cause });
}

/**
 * Thrown (or reported) by a producer for a message that can never succeed, such as a webhook
 * answering 400: the relay dead-letters it at once instead of retrying.
 */
export class PermanentFailure extends TxboxError {
  constructor(message: string, options: TxboxErrorOptions = {}) {
    super('PERMANENT_FAILURE', message, options);
    this.name = 'PermanentFailure';
  }
}

/** By code rather than class, so it holds when two copies of txbox are installed. */
export function isPermanent(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'PERMANENT_FAILURE' && error instanceof Error;
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (typeof value === 'function') return 'a function';
  if (value === null || typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return 'an object';
}
