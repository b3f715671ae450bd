import { createHash } from 'node:crypto';
import { invalidOption } from '../../core/errors.js';
import type { OptionKeys } from '../../core/option-keys.js';

/**
 * Column names of the outbox table. The defaults need no configuration; a user adapting an
 * existing table maps each role to their own column (OutboxKit's "make it your own").
 */
export interface OutboxColumns {
  /** The ordering column: a sequence assigned at insert. Never used as message identity. */
  position: string;
  id: string;
  topic: string;
  key: string;
  payload: string;
  contentType: string;
  headers: string;
  dedupKey: string;
  createdAt: string;
  availableAt: string;
  attempts: string;
  lastError: string;
  leaseToken: string;
  leaseUntil: string;
  processedAt: string;
  deadAt: string;
  /** The last failed attempts (time, error, relay), as a JSON array: written only with a failure. */
  attemptHistory: string;
}

export const DEFAULT_COLUMNS: Readonly<OutboxColumns> = {
  position: 'position',
  id: 'id',
  topic: 'topic',
  key: 'key',
  payload: 'payload',
  contentType: 'content_type',
  headers: 'headers',
  dedupKey: 'dedup_key',
  createdAt: 'created_at',
  availableAt: 'available_at',
  attempts: 'attempts',
  lastError: 'last_error',
  leaseToken: 'lease_token',
  leaseUntil: 'lease_until',
  processedAt: 'processed_at',
  deadAt: 'dead_at',
  attemptHistory: 'attempt_history',
};

/** A table with every name already quoted for one SQL dialect. */
export interface TableLayout {
  /** Quoted, schema-qualified table name. */
  readonly table: string;
  /** Unquoted table name, to derive index and channel names from. */
  readonly bareTable: string;
  /** Quoted column names. */
  readonly c: Readonly<OutboxColumns>;
  readonly quote: (name: string) => string;
  /** The unquoted name of an object derived from the table (`<table>_<suffix>`), fitted to the dialect's identifier limit. */
  readonly derived: (suffix: string) => string;
}

/** PostgreSQL keeps the first 63 bytes of a name (NAMEDATALEN - 1). */
export const PG_MAX_IDENTIFIER = 63;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]*$/;

export function checkIdentifier(field: string, value: unknown, maxLength = 63): string {
  if (typeof value !== 'string' || !IDENTIFIER.test(value) || value.length > maxLength) {
    throw invalidOption(field, value, `must be an identifier of letters, digits and _ (at most ${maxLength} characters)`);
  }
  return value;
}

/**
 * `<head><base><suffix>`, or, when that is longer than `max`, the base cut short with a hash of
 * the whole base in its place: PostgreSQL silently truncates names to 63 bytes, so two derived
 * names (`…_dedup`, `…_dead`) could become one and the second index be skipped, or even equal
 * the table's own name. Names that fit are kept as they are, so existing databases keep theirs.
 */
export function fitIdentifier(base: string, suffix: string, max: number, head = ''): string {
  const full = `${head}${base}${suffix}`;
  if (full.length <= max) return full;
  const hash = createHash('sha256').update(base).digest('hex').slice(0, 8);
  return `${head}${base.slice(0, max - head.length - suffix.length - hash.length - 1)}_${hash}${suffix}`;
}

export interface LayoutOptions {
  table?: string;
  schema?: string;
  columns?: Partial<OutboxColumns>;
}

export const LAYOUT_OPTION_KEYS: OptionKeys<LayoutOptions> = { table: true, schema: true, columns: true };

/** `maxIdentifier`: the dialect's identifier limit (PostgreSQL 63 bytes); derived names are fitted to it. */
export function resolveLayout(o: LayoutOptions, defaultTable: string, quoteChar: '"' | '`', maxIdentifier = Infinity): TableLayout {
  const quote = (name: string) => quoteChar + name + quoteChar;
  const bareTable = checkIdentifier('table', o.table ?? defaultTable);
  const schema = o.schema === undefined ? undefined : checkIdentifier('schema', o.schema);
  const given = o.columns ?? {};
  for (const role of Object.keys(given)) {
    if (!(role in DEFAULT_COLUMNS)) throw invalidOption(`columns.${role}`, role, `is not a column role (${Object.keys(DEFAULT_COLUMNS).join(', ')})`);
  }
  const names = { ...DEFAULT_COLUMNS, ...given };
  const c = Object.fromEntries(
    Object.entries(names).map(([role, name]) => [role, quote(checkIdentifier(`columns.${role}`, name))]),
  ) as unknown as OutboxColumns;
  const derived = (suffix: string) => fitIdentifier(bareTable, `_${suffix}`, maxIdentifier);
  return { table: schema ? `${quote(schema)}.${quote(bareTable)}` : quote(bareTable), bareTable, c, quote, derived };
}
