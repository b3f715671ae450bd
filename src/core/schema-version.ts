import { TxboxError } from './errors.js';

/**
 * The version of the outbox table this release creates and reads. Raise it with every change to
 * the table (add-only: a column or an index), and give each store an upgrade step to it.
 * - 1: the table of txbox 0.1 (which recorded no version at all);
 * - 2: adds the attempt history column (`attempt_history`).
 */
export const OUTBOX_SCHEMA_VERSION = 2;

/** The version of the inbox table (`createPostgresInbox`, ...). Version 1 is txbox 0.1's table. */
export const INBOX_SCHEMA_VERSION = 1;

/** The version of the schedules table of `txbox/consumers`. Version 1 is txbox 0.1's table. */
export const SCHEDULES_SCHEMA_VERSION = 1;

/** The kinds of table txbox makes, each versioned on its own in the registry. */
export type SchemaTableKind = 'outbox' | 'inbox' | 'schedules';

/** The table, in the same schema (database) as the txbox tables, where each one's version is recorded. */
export const SCHEMA_REGISTRY_TABLE = 'txbox_schema';

/** A column whose type in the catalog is not the one txbox made it with. */
export interface ColumnTypeDrift {
  readonly column: string;
  readonly expected: string;
  readonly found: string;
}

/**
 * What the database holds for one txbox table, read from its catalog.
 * - `missing`: no such table; `behind`: older than `expected` (or exists with no version
 *   recorded, as tables made by txbox 0.1 do); `ahead`: made by a newer txbox; `current`.
 * - `drift`: the table is there but columns or indexes this version needs are not, or a column
 *   has another type than the one txbox made it with.
 */
export interface SchemaStatus {
  readonly kind: SchemaTableKind;
  /** The table as named in SQL, schema-qualified when a schema was given. */
  readonly table: string;
  readonly expected: number;
  /** The recorded version; null when none is recorded. */
  readonly found: number | null;
  readonly state: 'missing' | 'behind' | 'current' | 'ahead';
  readonly missingColumns: readonly string[];
  readonly missingIndexes: readonly string[];
  /** Columns that are there with another type (`payload` made `text` instead of `bytea`...). */
  readonly wrongTypes: readonly ColumnTypeDrift[];
  readonly drift: boolean;
  /** Current and without drift: what `txbox status` exits 0 for. */
  readonly ok: boolean;
}

/** Raised by `migrate()` on a table a newer txbox made: nothing was changed. */
export function schemaTooNew(table: string, found: number, expected: number): TxboxError {
  return new TxboxError(
    'SCHEMA_TOO_NEW',
    `table ${table} is at schema version ${found}, newer than the ${expected} this txbox knows: upgrade txbox instead of migrating back`,
    { field: 'version', value: found },
  );
}

/**
 * The version a table starts an upgrade from: the recorded one, or 1 for a table that exists
 * with none recorded (txbox 0.1), or null for no table. A version from the future is refused.
 */
export function startingVersion(table: string, recorded: number | null, exists: boolean, expected: number): number | null {
  if (recorded !== null && recorded > expected) throw schemaTooNew(table, recorded, expected);
  if (recorded !== null) return recorded;
  return exists ? 1 : null;
}

/** A column as the catalog describes it, or as txbox expects it: its name and its type's name. */
export interface ColumnShape {
  readonly name: string;
  readonly type: string;
}

/** What a store's catalog reads answered about one table. */
export interface CatalogFacts {
  readonly exists: boolean;
  readonly recorded: number | null;
  readonly columns: readonly ColumnShape[];
  readonly indexes: readonly string[];
}

/** What one version of a table needs: its columns with their types, and its indexes. */
export interface TableShape {
  readonly columns: readonly ColumnShape[];
  readonly indexes: readonly string[];
}

// Catalogs spell types in their own case and spacing (`INTEGER`, `timestamp with time zone`).
const typeName = (t: string) => t.trim().replace(/\s+/g, ' ').toLowerCase();

/** Builds the status of a `kind` table at version `expected` from what the catalog answered. */
export function schemaStatusOf(kind: SchemaTableKind, table: string, found: CatalogFacts, wanted: TableShape, expected: number): SchemaStatus {
  const columns = new Map(found.columns.map((c) => [c.name.toLowerCase(), c.type]));
  const indexes = new Set(found.indexes.map((n) => n.toLowerCase()));
  const missingColumns = found.exists ? wanted.columns.filter((c) => !columns.has(c.name.toLowerCase())).map((c) => c.name) : [];
  const missingIndexes = found.exists ? wanted.indexes.filter((i) => !indexes.has(i.toLowerCase())) : [];
  const wrongTypes = wanted.columns.flatMap((c) => {
    const type = columns.get(c.name.toLowerCase());
    return found.exists && type !== undefined && typeName(type) !== typeName(c.type) ? [{ column: c.name, expected: typeName(c.type), found: typeName(type) }] : [];
  });
  const state = !found.exists ? 'missing' : found.recorded === null || found.recorded < expected ? 'behind' : found.recorded > expected ? 'ahead' : 'current';
  const drift = missingColumns.length + missingIndexes.length + wrongTypes.length > 0;
  return { kind, table, expected, found: found.recorded, state, missingColumns, missingIndexes, wrongTypes, drift, ok: state === 'current' && !drift };
}
