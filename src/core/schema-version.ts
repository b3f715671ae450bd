import { TxboxError } from './errors.js';

/**
 * The version of the outbox table this release creates and reads. Raise it with every change to
 * the table (add-only: a column or an index), and give each store an upgrade step to it.
 * - 1: the table of txbox 0.1 (which recorded no version at all);
 * - 2: adds the attempt history column (`attempt_history`).
 */
export const OUTBOX_SCHEMA_VERSION = 2;

/** The table, in the same schema (database) as the txbox tables, where each one's version is recorded. */
export const SCHEMA_REGISTRY_TABLE = 'txbox_schema';

/**
 * What the database holds for one txbox table, read from its catalog.
 * - `missing`: no such table; `behind`: older than `expected` (or exists with no version
 *   recorded, as tables made by txbox 0.1 do); `ahead`: made by a newer txbox; `current`.
 * - `drift`: the table is there but columns or indexes this version needs are not.
 */
export interface SchemaStatus {
  /** The table as named in SQL, schema-qualified when a schema was given. */
  readonly table: string;
  readonly expected: number;
  /** The recorded version; null when none is recorded. */
  readonly found: number | null;
  readonly state: 'missing' | 'behind' | 'current' | 'ahead';
  readonly missingColumns: readonly string[];
  readonly missingIndexes: readonly string[];
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
export function startingVersion(table: string, recorded: number | null, exists: boolean, expected = OUTBOX_SCHEMA_VERSION): number | null {
  if (recorded !== null && recorded > expected) throw schemaTooNew(table, recorded, expected);
  if (recorded !== null) return recorded;
  return exists ? 1 : null;
}

/** Builds the status from what the catalog answered. */
export function schemaStatusOf(
  table: string,
  found: { exists: boolean; recorded: number | null; columns: readonly string[]; indexes: readonly string[] },
  wanted: { columns: readonly string[]; indexes: readonly string[] },
  expected = OUTBOX_SCHEMA_VERSION,
): SchemaStatus {
  const has = (list: readonly string[]) => new Set(list.map((n) => n.toLowerCase()));
  const columns = has(found.columns);
  const indexes = has(found.indexes);
  const missingColumns = found.exists ? wanted.columns.filter((c) => !columns.has(c.toLowerCase())) : [];
  const missingIndexes = found.exists ? wanted.indexes.filter((i) => !indexes.has(i.toLowerCase())) : [];
  const state = !found.exists ? 'missing' : found.recorded === null || found.recorded < expected ? 'behind' : found.recorded > expected ? 'ahead' : 'current';
  const drift = missingColumns.length + missingIndexes.length > 0;
  return { table, expected, found: found.recorded, state, missingColumns, missingIndexes, drift, ok: state === 'current' && !drift };
}
