import { OUTBOX_SCHEMA_VERSION, SCHEMA_REGISTRY_TABLE, type ColumnShape } from '../../core/schema-version.js';
import type { OutboxColumns, TableLayout } from './layout.js';

/**
 * The schema version of each txbox table is a row of `txbox_schema` (table name, version), in the
 * table's own schema: a table COMMENT would do for PostgreSQL and MySQL but SQLite has none, and
 * users' own ALTERs rewrite comments; a row reads the same way in every dialect. The outbox, inbox
 * and schedules tables each have their own row and their own version.
 */

/** Any txbox table, as the registry needs it: its quoted (schema-qualified) and bare names. */
export type RegisteredTable = Pick<TableLayout, 'table' | 'bareTable' | 'quote'>;

export function registryTable(t: RegisteredTable): string {
  // The table is `<schema>.<table>` or `<table>`, quoted: the registry sits beside it.
  return t.table.slice(0, t.table.length - t.quote(t.bareTable).length) + t.quote(SCHEMA_REGISTRY_TABLE);
}

/** `'name'`: identifiers are checked to letters, digits and `_` (layout.ts), so they are safe as literals. */
export const literal = (name: string) => `'${name}'`;

/** The outbox columns a layout expects, each with the type a dialect creates it with. */
export function outboxColumnShapes(l: TableLayout, types: Readonly<Record<keyof OutboxColumns, string>>): ColumnShape[] {
  return (Object.keys(l.c) as (keyof OutboxColumns)[]).map((role) => ({ name: l.c[role].slice(1, -1), type: types[role] }));
}

/** Columns written as `{ name: type }`, as the inbox and schedules tables declare theirs. */
export const columnShapes = (types: Readonly<Record<string, string>>): ColumnShape[] => Object.entries(types).map(([name, type]) => ({ name, type }));

/** The partial indexes of PostgreSQL and SQLite (see indexes.ts), by name. */
export const partialIndexNames = (l: TableLayout): string[] => ['id', 'pending', 'key', 'dedup', 'processed', 'dead'].map((s) => l.derived(s));

/** An add-only change that brings a table from `to - 1` to version `to`. */
export interface UpgradeStep {
  readonly to: number;
  readonly statements: (l: TableLayout) => string[];
}

/** The statements taking a table from version `from` to the current one, in order. */
export function upgradeStatements(steps: readonly UpgradeStep[], l: TableLayout, from: number): string[] {
  return steps.filter((s) => s.to > from && s.to <= OUTBOX_SCHEMA_VERSION).flatMap((s) => s.statements(l));
}
