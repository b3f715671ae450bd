import { invalidOption } from '../../core/errors.js';

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
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]*$/;

export function checkIdentifier(field: string, value: unknown, maxLength = 63): string {
  if (typeof value !== 'string' || !IDENTIFIER.test(value) || value.length > maxLength) {
    throw invalidOption(field, value, `must be an identifier of letters, digits and _ (at most ${maxLength} characters)`);
  }
  return value;
}

export interface LayoutOptions {
  table?: string;
  schema?: string;
  columns?: Partial<OutboxColumns>;
}

export function resolveLayout(o: LayoutOptions, defaultTable: string, quoteChar: '"' | '`'): TableLayout {
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
  return { table: schema ? `${quote(schema)}.${quote(bareTable)}` : quote(bareTable), bareTable, c, quote };
}
